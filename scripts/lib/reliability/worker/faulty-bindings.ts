/**
 * Wrappers around the D1 database and Queue producers a Worker receives, so the test process can
 * make any call fail (before or after it takes effect) or crash the invocation. The Worker code
 * under test is untouched: it gets objects that behave like the platform's, which is what a
 * platform outage looks like from inside.
 * @module
 */
import { shardDb, shardNames } from "../../../../src/domain/shards/bindings.ts";
import type { QueuedJob } from "../fault-protocol.ts";
import type { Invocation } from "./invocation.ts";

const STATEMENT_METHODS = new Set(["first", "all", "run", "raw"]);

/**
 * `db` with every statement execution and batch put through `invocation.guard`, reported under
 * `binding` (DB for the catalog, SHARD_n for a gig shard), so a plan can target one database.
 */
export function faultyD1(db: D1Database, invocation: Invocation, binding = "DB"): D1Database {
  // db.batch() needs the platform's own statement objects: keep each wrapper's original.
  const originals = new WeakMap<object, D1PreparedStatement>();
  const sqlOf = new WeakMap<object, string>();

  const wrapStatement = (statement: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const wrapped = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") {
          return (...values: unknown[]) => wrapStatement(target.bind(...values), sql);
        }
        if (typeof prop === "string" && STATEMENT_METHODS.has(prop)) {
          const method = prop as "first" | "all" | "run" | "raw";
          return (...args: unknown[]) =>
            invocation.guard({ binding, method, ...describeSql([sql]), size: 1, messages: [] }, () =>
              (target[method] as (...a: unknown[]) => Promise<unknown>).apply(target, args),
            );
        }
        return forward(target, prop);
      },
    });
    originals.set(wrapped, statement);
    sqlOf.set(wrapped, sql);
    return wrapped;
  };

  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrapStatement(target.prepare(sql), sql);
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          const sqls = statements.map((s) => sqlOf.get(s) ?? "");
          return invocation.guard(
            { binding, method: "batch", ...describeSql(sqls), size: statements.length, messages: [] },
            () => target.batch(statements.map((s) => originals.get(s) ?? s)),
          );
        };
      }
      if (prop === "exec") {
        return (sql: string) =>
          invocation.guard({ binding, method: "exec", ...describeSql([sql]), size: 1, messages: [] }, () =>
            target.exec(sql),
          );
      }
      return forward(target, prop);
    },
  });
}

/** Every gig shard binding of `env` (SHARD_1, SHARD_2, …) wrapped like the catalog. */
export function faultyShards(env: object, invocation: Invocation): Record<string, D1Database> {
  const out: Record<string, D1Database> = {};
  for (const name of shardNames(env)) out[name] = faultyD1(shardDb(env, name), invocation, name);
  return out;
}

/** `queue` with `send` and `sendBatch` put through `invocation.guard`. */
export function faultyQueue<T>(queue: Queue<T>, binding: string, invocation: Invocation): Queue<T> {
  const lost = (messages: QueuedJob[]) => async () => {
    await invocation.report({ type: "send-failed", queue: binding, messages });
  };
  return new Proxy(queue, {
    get(target, prop) {
      if (prop === "send") {
        return (body: T, options?: QueueSendOptions) => {
          const messages = [describeJob(body)];
          return invocation.guard(
            { binding, method: "send", sql: null, effects: ["send"], size: 1, messages },
            () => target.send(body, options),
            lost(messages),
          );
        };
      }
      if (prop === "sendBatch") {
        return (batch: Iterable<MessageSendRequest<T>>, options?: QueueSendBatchOptions) => {
          const list = [...batch];
          const messages = list.map((m) => describeJob(m.body));
          return invocation.guard(
            { binding, method: "sendBatch", sql: null, effects: ["send"], size: list.length, messages },
            () => target.sendBatch(list, options),
            lost(messages),
          );
        };
      }
      return forward(target, prop);
    },
  });
}

/** The account, kind, id and gig IDs of a job body, whatever shape it has. */
export function describeJob(body: unknown): QueuedJob {
  const job = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const text = (value: unknown) => (typeof value === "string" ? value : null);
  return {
    account: text(job.account),
    kind: text(job.kind),
    job_id: text(job.job_id),
    ids: Array.isArray(job.ids) ? job.ids.filter((id): id is string => typeof id === "string") : [],
  };
}

/** The first statement's SQL (shortened) and what each statement does, as `verb-table`. */
function describeSql(sqls: readonly string[]): { sql: string | null; effects: string[] } {
  const first = sqls[0];
  return {
    sql: first === undefined ? null : first.replace(/\s+/g, " ").trim().slice(0, 100),
    effects: sqls.map((sql) => {
      const m = /^\s*(insert(?:\s+or\s+\w+)?\s+into|update|delete\s+from|select|with)\s+(\w+)?/i.exec(sql);
      if (!m?.[1]) return "other";
      const verb = (m[1].split(/\s+/)[0] ?? "").toLowerCase();
      return verb === "select" || verb === "with" ? "select" : `${verb}-${(m[2] ?? "").toLowerCase()}`;
    }),
  };
}

/** A property of the real object, methods bound to it (platform objects keep private state). */
function forward(target: object, prop: string | symbol): unknown {
  const value: unknown = Reflect.get(target, prop, target);
  return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
}
