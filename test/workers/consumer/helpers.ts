/**
 * Consumer test kit: the local Argyle answering the consumer's fetches in-process, a way to run
 * a batch through the real queue handler, and counters for every subrequest it makes.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import worker from "../../../src/consumer/index.ts";
import { JOB_VERSION, type Job } from "../../../src/domain/jobs.ts";
import { createLocalArgyle, type LocalArgyle, type LocalArgyleOptions } from "../../../src/local-argyle/app.ts";
import { firstAcross, placedDb, shardDbs } from "../shards.ts";

export const ARGYLE_ORIGIN = "https://argyle.test";

/** A local Argyle behind the consumer's ARGYLE_API_URL, with the test credentials. */
export function useLocalArgyle(options: LocalArgyleOptions = {}): LocalArgyle {
  const argyle = createLocalArgyle({ keyId: "test-key-id", keySecret: "test-key-secret", ...options });
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (new URL(request.url).origin !== ARGYLE_ORIGIN) throw new Error(`unexpected fetch to ${request.url}`);
    // Like a real fetch, give up (reject) as soon as the caller's signal aborts.
    const signal = request.signal;
    return new Promise<Response>((resolve, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      Promise.resolve(argyle.app.fetch(request)).then(resolve, reject);
    });
  });
  return argyle;
}

/** Counts subrequests (Argyle fetches, D1 calls, queue sends) and captures what was queued. */
export interface Meter {
  fetches: number;
  d1: number;
  sends: number;
  sent: Job[];
  deadLetters: unknown[];
  total(): number;
  reset(): void;
}

/** Instruments env.DB, every shard, env.JOBS and env.DEAD_LETTERS (sends are captured, not delivered). */
export function meter(): Meter {
  const m: Meter = {
    fetches: 0,
    d1: 0,
    sends: 0,
    sent: [],
    deadLetters: [],
    total: () => m.fetches + m.d1 + m.sends,
    reset: () => {
      m.fetches = 0;
      m.d1 = 0;
      m.sends = 0;
    },
  };
  const fetchSpy = vi.mocked(globalThis.fetch);
  if (vi.isMockFunction(fetchSpy)) {
    const impl = fetchSpy.getMockImplementation();
    fetchSpy.mockImplementation((...args) => {
      m.fetches++;
      return impl ? impl(...args) : Promise.reject(new Error("no fetch mock"));
    });
  }
  // The catalog and every shard: a job's D1 calls go to both.
  for (const db of [env.DB, ...shardDbs()]) {
    const batch = db.batch.bind(db);
    vi.spyOn(db, "batch").mockImplementation((statements) => {
      m.d1++;
      return batch(statements);
    });
    const prepare = db.prepare.bind(db);
    vi.spyOn(db, "prepare").mockImplementation((sql) => countStatement(prepare(sql), m));
  }
  const sent = { metadata: { metrics: { backlogCount: 0, backlogBytes: 0, oldestMessageTimestamp: 0 } } };
  vi.spyOn(env.JOBS, "sendBatch").mockImplementation(async (messages) => {
    m.sends++;
    m.sent.push(...[...messages].map((x) => x.body));
    return sent as unknown as QueueSendBatchResponse;
  });
  vi.spyOn(env.DEAD_LETTERS, "sendBatch").mockImplementation(async (messages) => {
    m.sends++;
    m.deadLetters.push(...[...messages].map((x) => x.body));
    return sent as unknown as QueueSendBatchResponse;
  });
  return m;
}

/** Makes a statement (and those `bind` derives from it) count its direct executions. */
function countStatement(statement: D1PreparedStatement, m: Meter): D1PreparedStatement {
  const bind = statement.bind.bind(statement);
  statement.bind = (...values: unknown[]) => countStatement(bind(...values), m);
  for (const method of ["first", "all", "run", "raw"] as const) {
    const original = (statement[method] as (...a: unknown[]) => Promise<unknown>).bind(statement);
    (statement as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      m.d1++;
      return original(...args);
    };
  }
  return statement;
}

export interface RunOptions {
  queue?: string;
  attempts?: number;
  env?: Partial<typeof env>;
}

/** Runs `bodies` as one batch through the consumer's queue handler, like the platform would. */
export async function runBatch(bodies: unknown[], options: RunOptions = {}) {
  const batch = createMessageBatch(
    options.queue ?? "argyle-gig-jobs",
    bodies.map((body, i) => ({ id: `msg-${i}`, timestamp: new Date(), attempts: options.attempts ?? 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...options.env } as typeof env);
  return getQueueResult(batch, ctx);
}

const ACCOUNT_FALLBACK = "0187c66e-e7e5-811c-b006-2232f00f426a";

/** A job body as the receiver would queue it. */
export function job<K extends Job["kind"]>(
  kind: K,
  fields: Partial<Extract<Job, { kind: K }>> & Record<string, unknown>,
): Extract<Job, { kind: K }> {
  return {
    v: JOB_VERSION,
    kind,
    job_id: `evt-${crypto.randomUUID()}:0`,
    event_id: "evt",
    account: ACCOUNT_FALLBACK,
    user: null,
    received_at: new Date().toISOString(),
    origin: "webhook",
    ...(kind === "list_window" || kind === "backfill" ? { cursor: null } : {}),
    ...(kind === "backfill" ? { pass: null } : {}),
    ...fields,
  } as Extract<Job, { kind: K }>;
}

/** The gig's row, from whichever shard holds it. */
export async function storedGig(id: string) {
  return firstAcross("SELECT * FROM gigs WHERE id = ?", id);
}

/** Live gigs of the account, counted in its home shard (0 if it was never placed). */
export async function liveGigCount(account: string): Promise<number> {
  const db = await placedDb(account);
  if (!db) return 0;
  const row = await db
    .prepare("SELECT COUNT(*) AS n FROM gigs WHERE account = ? AND removed_at IS NULL")
    .bind(account)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** The account's sync-state row, from its home shard (null if never placed or not written). */
export async function accountRow(account: string): Promise<Record<string, unknown> | null> {
  const db = await placedDb(account);
  return db && db.prepare("SELECT * FROM accounts WHERE id = ?").bind(account).first();
}
