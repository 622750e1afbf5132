/**
 * The consumer's speed against Argyle's bound, and what a run costs:
 * - per-ID fetch: Argyle changes N gigs and sends one signed `gigs.updated` naming all of them
 *   (as one data refresh does); timed from that delivery until all N are stored in D1. Bound:
 *   N × latency / 6 connections.
 * - backfill: a `gigs.fully_synced` for an account of N gigs; timed until all N are stored and
 *   the pass is done. Bound: ⌈N / 200⌉ pages × latency, one page after another.
 * Each run also reports its cost, from the I/O meter and the local Argyle's own request count,
 * and the runtime's peak memory.
 * @module
 */
import type { MutateResult } from "../../../src/local-argyle/mutate.ts";
import type { IoTotals } from "./io-totals.ts";
import { type Pipeline, type Plan, startPipeline, waitUntil } from "./pipeline.ts";
import { sampleRss } from "./proc.ts";

/** Workers allow six simultaneous open connections per invocation (ARGYLE_MAX_CONCURRENCY). */
export const CONNECTIONS = 6;
export const PAGE_SIZE = 200;

export interface Cost {
  /** Messages put on queues (jobs, continuations, dead letters). */
  queueMessages: number;
  /** Requests the local Argyle answered on its gig routes. */
  argyleRequests: number;
  /** D1 and Queue calls by both Workers. */
  otherSubrequests: number;
  /** D1's `meta.rows_written`, summed over both Workers' calls. */
  rowsWritten: number;
}

export interface ConsumerRun {
  scenario: "fetch" | "backfill";
  plan: Plan;
  gigs: number;
  latencyMs: number;
  /** From the webhook's delivery until every gig is stored. */
  seconds: number;
  /** The bound the scenario is held against. */
  boundSeconds: number;
  /** The same Argyle requests made from the same runtime with nothing else done (measured first). */
  floorSeconds: number;
  /** From the webhook's delivery until the consumer's first invocation started (queue wait included). */
  firstJobSeconds: number;
  cost: Cost;
  consumer: IoTotals;
  receiver: IoTotals;
  /** The runtime's peak resident memory during the run (sampled), and its lifetime peak. */
  memory: { peakRss: number; hwm: number };
}

const TIMEOUT_MS = 180_000;

export function runFetchScenario(gigs: number, latencyMs: number, plan: Plan): Promise<ConsumerRun> {
  return timed({ scenario: "fetch", gigs, latencyMs, plan }, (p) =>
    p.argyle.mutate({ action: "update", account: p.account, count: gigs }),
  );
}

export function runBackfillScenario(gigs: number, latencyMs: number, plan: Plan): Promise<ConsumerRun> {
  return timed({ scenario: "backfill", gigs, latencyMs, plan }, (p) =>
    p.argyle.mutate({ action: "fully_synced", account: p.account }),
  );
}

export function boundSeconds(scenario: "fetch" | "backfill", gigs: number, latencyMs: number): number {
  return scenario === "fetch"
    ? (gigs * latencyMs) / CONNECTIONS / 1000
    : (Math.ceil(gigs / PAGE_SIZE) * latencyMs) / 1000;
}

async function timed(
  run: { scenario: "fetch" | "backfill"; gigs: number; latencyMs: number; plan: Plan },
  trigger: (pipeline: Pipeline) => Promise<MutateResult>,
): Promise<ConsumerRun> {
  const pipeline = await startPipeline(run);
  try {
    const floorSeconds = await pipeline.floor(run.scenario);
    pipeline.argyle.stats.reset();
    const memory = sampleRss(pipeline.pid);
    const stored = pipeline.whenJobsStored(run.gigs);
    const started = performance.now();
    const startedMs = Date.now();
    const { deliveries } = await trigger(pipeline);
    if (deliveries.length !== 1 || deliveries.some((d) => d.status !== 202)) {
      throw new Error(`the receiver refused the webhook: ${JSON.stringify(deliveries)}`);
    }
    const seconds = ((await withTimeout(stored, TIMEOUT_MS, `${run.gigs} stored gigs`)) - started) / 1000;
    // The log said so; D1 must agree.
    const inD1 = await pipeline.storedGigs();
    if (inD1 !== run.gigs) throw new Error(`the consumer reported ${run.gigs} gigs stored, D1 holds ${inD1}`);
    // The last invocation acks and logs after its final write: let it finish before counting.
    await waitUntil(
      async () => {
        const io = await pipeline.io();
        return io.consumer.active === 0 && io.receiver.active === 0;
      },
      "the Workers to go idle",
      10_000,
    );
    const { receiver, consumer } = await pipeline.io();
    const stats = pipeline.argyle.stats;
    return {
      ...run,
      seconds,
      boundSeconds: boundSeconds(run.scenario, run.gigs, run.latencyMs),
      floorSeconds,
      firstJobSeconds: ((consumer.firstStartedMs ?? Number.NaN) - startedMs) / 1000,
      cost: {
        queueMessages: receiver.queueMessages + consumer.queueMessages,
        argyleRequests: stats.requestCount("GET /v2/gigs/:id") + stats.requestCount("GET /v2/gigs"),
        otherSubrequests: receiver.d1Calls + receiver.queueCalls + consumer.d1Calls + consumer.queueCalls,
        rowsWritten: receiver.rowsWritten + consumer.rowsWritten,
      },
      receiver,
      consumer,
      memory: memory.stop(),
    };
  } finally {
    await pipeline.close();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
