/**
 * Counts what a Worker does through its bindings, for the benchmark's cost figures: D1 calls and
 * the rows D1 reports reading and writing (`meta.rows_read` / `rows_written`, what D1 bills),
 * queue calls and messages, and outgoing fetches (Argyle requests). Every one of those is a
 * subrequest. The Worker's own code runs unchanged: the meter wraps its bindings, its `fetch`
 * and D1's statement methods, and serves the totals at `/__bench/io`.
 * @module
 */
import type { IoTotals } from "../io-totals.ts";

export { IO_PATH } from "../io-totals.ts";

const totals: IoTotals = {
  invocations: 0,
  firstStartedMs: null,
  active: 0,
  maxConcurrent: 0,
  maxSubrequests: 0,
  d1Calls: 0,
  d1Statements: 0,
  d1WriteStatements: 0,
  rowsRead: 0,
  rowsWritten: 0,
  queueCalls: 0,
  queueMessages: 0,
  fetches: 0,
};
/** Subrequests since the last time no invocation was running. */
let current = 0;

export function ioTotalsResponse(): Response {
  return Response.json(totals);
}

/** Runs one invocation under the meter; `work` gets a `waitUntil` whose promises also count. */
export async function metered<T>(
  env: { DB: D1Database },
  ctx: ExecutionContext,
  work: (ctx: ExecutionContext) => Promise<T>,
): Promise<T> {
  patchD1(env.DB);
  patchFetch();
  if (totals.active === 0) current = 0;
  totals.active++;
  totals.invocations++;
  totals.firstStartedMs ??= Date.now();
  totals.maxConcurrent = Math.max(totals.maxConcurrent, totals.active);
  const pending: Promise<unknown>[] = [];
  const finish = () => {
    totals.maxSubrequests = Math.max(totals.maxSubrequests, current);
    totals.active--;
  };
  // Only waitUntil is used by our Workers; the rest of the context is not needed.
  const meteredCtx = {
    waitUntil: (promise: Promise<unknown>) => {
      pending.push(promise);
      ctx.waitUntil(promise);
    },
    passThroughOnException: () => ctx.passThroughOnException(),
  } as unknown as ExecutionContext;
  try {
    return await work(meteredCtx);
  } finally {
    // Work left to waitUntil (the receiver's bookkeeping after its 202) belongs to this invocation.
    if (pending.length === 0) finish();
    else ctx.waitUntil(Promise.allSettled(pending).then(finish));
  }
}

/** `env` with its queue producers counted. */
export function meterQueues<E extends object>(env: E): E {
  const out: Record<string, unknown> = { ...(env as Record<string, unknown>) };
  for (const [name, binding] of Object.entries(env)) {
    if (isQueue(binding)) out[name] = meterQueue(binding);
  }
  return out as E;
}

function isQueue(value: unknown): value is Queue<unknown> {
  return typeof value === "object" && value !== null && "sendBatch" in value && "send" in value;
}

function meterQueue(queue: Queue<unknown>): Queue<unknown> {
  return {
    send: (body, options) => {
      count("queue", 1);
      return queue.send(body, options);
    },
    sendBatch: (messages, options) => {
      count("queue", [...messages].length);
      return queue.sendBatch(messages, options);
    },
  } as Queue<unknown>;
}

function count(kind: "queue" | "d1" | "fetch", messages = 0): void {
  current++;
  if (kind === "d1") totals.d1Calls++;
  else if (kind === "fetch") totals.fetches++;
  else {
    totals.queueCalls++;
    totals.queueMessages += messages;
  }
}

function addMeta(
  result: { meta?: { rows_read?: number; rows_written?: number } } | undefined,
  statements: unknown[] = [],
): void {
  countStatements(statements);
  totals.rowsRead += result?.meta?.rows_read ?? 0;
  totals.rowsWritten += result?.meta?.rows_written ?? 0;
}

/**
 * Statements run, and those that write (by their SQL: D1 keeps it in `statement`). A write is
 * counted even when it changes no row (an upsert that finds newer data): it still takes D1's
 * write path, which is what the capacity model charges.
 */
function countStatements(statements: unknown[]): void {
  for (const statement of statements) {
    totals.d1Statements++;
    const sql = (statement as { statement?: unknown }).statement;
    if (typeof sql === "string" && isWrite(sql)) totals.d1WriteStatements++;
  }
}

function isWrite(sql: string): boolean {
  const text = sql.trimStart();
  if (/^(SELECT|PRAGMA|EXPLAIN|VALUES)\b/i.test(text)) return false;
  if (/^WITH\b/i.test(text)) return /\b(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(text);
  return true;
}

let fetchPatched = false;

function patchFetch(): void {
  if (fetchPatched) return;
  fetchPatched = true;
  const realFetch = globalThis.fetch.bind(globalThis);
  globalThis.fetch = (input, init) => {
    count("fetch");
    return realFetch(input, init);
  };
}

type Method = (this: unknown, ...args: unknown[]) => Promise<unknown>;
let d1Patched = false;

/**
 * Statements are D1's own objects (batch() insists on them), so their methods are wrapped on the
 * prototype, once per isolate. `first()` goes through `all()` so that its meta (a write with
 * RETURNING, say) is counted too; it answers exactly as D1's `first()` does.
 */
function patchD1(db: D1Database): void {
  if (d1Patched) return;
  d1Patched = true;
  const dbProto = Object.getPrototypeOf(db) as Record<string, Method>;
  const stmtProto = Object.getPrototypeOf(db.prepare("SELECT 1")) as Record<string, Method>;
  const wrap = (
    proto: Record<string, Method>,
    name: string,
    meta: (result: unknown, self: unknown, args: unknown[]) => void,
  ) => {
    const original = proto[name];
    if (typeof original !== "function") return;
    proto[name] = async function (this: unknown, ...args: unknown[]) {
      count("d1");
      const result = await original.apply(this, args);
      meta(result, this, args);
      return result;
    };
  };
  wrap(stmtProto, "run", (r, self) => addMeta(r as D1Result, [self]));
  wrap(stmtProto, "all", (r, self) => addMeta(r as D1Result, [self]));
  wrap(stmtProto, "raw", (_r, self) => countStatements([self]));
  wrap(dbProto, "batch", (r, _self, args) => {
    countStatements(args[0] as unknown[]);
    for (const each of r as D1Result[]) addMeta(each);
  });
  wrap(dbProto, "exec", () => {});
  const all = stmtProto.all as Method;
  stmtProto.first = async function (this: unknown, column?: unknown) {
    const { results } = (await all.call(this)) as D1Result<Record<string, unknown>>;
    const row = results[0];
    if (row === undefined) return null;
    if (column === undefined) return row;
    if (typeof column !== "string" || !(column in row)) throw new Error(`D1_COLUMN_NOTFOUND: ${String(column)}`);
    return row[column];
  };
}
