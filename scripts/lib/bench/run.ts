/**
 * The whole benchmark: every scenario at a scale, one after another on a fresh runtime each,
 * collected for the report. `full` is what BENCHMARKS.md quotes; `tiny` runs every scenario at
 * a minimal size in seconds, so CI proves the benchmark still works.
 * @module
 */
import {
  CONSUMER_CPU_FULL,
  CONSUMER_CPU_TINY,
  type ConsumerCpuResult,
  type ConsumerCpuSettings,
  runConsumerCpu,
} from "./consumer-cpu.ts";
import { boundSeconds, type ConsumerRun, runBackfillScenario, runFetchScenario } from "./consumer-scenarios.ts";
import { type IngestResult, type IngestSettings, runIngest } from "./ingest-scenario.ts";
import { describeMachine, type Machine } from "./machine.ts";
import { type OutboxResult, type OutboxSettings, runOutboxScenario } from "./outbox-scenario.ts";
import { PLANS } from "./pipeline.ts";

export interface BenchSettings {
  scale: "full" | "tiny";
  ingest: IngestSettings;
  consumer: {
    /** Gigs a `gigs.updated` names in the per-ID fetch scenario. */
    fetchGigs: number;
    /** Gigs of the account the backfill scenario walks. */
    backfillGigs: number;
    /** The local Argyle's latency on every request. */
    latencyMs: number;
    /** Runs of each consumer scenario per plan. */
    repeats: number;
  };
  consumerCpu: ConsumerCpuSettings;
  outbox: OutboxSettings;
}

export const FULL: BenchSettings = {
  scale: "full",
  ingest: {
    payloads: { small: 2, large: 5000 },
    concurrencies: [1, 32],
    rounds: 3,
    seconds: 4,
    warmupSeconds: 1,
    idleSeconds: 2,
    probeSeconds: 0.4,
    quietMs: 200,
  },
  consumer: { fetchGigs: 2000, backfillGigs: 10_000, latencyMs: 25, repeats: 2 },
  consumerCpu: CONSUMER_CPU_FULL,
  outbox: { deliveries: 20, latencyMs: 100, idleEvents: 3000 },
};

export const TINY: BenchSettings = {
  scale: "tiny",
  ingest: {
    payloads: { small: 2, large: 5000 },
    // A 200 KB webhook at concurrency 32 takes about a second: too long for a round this short.
    concurrencies: [1, 4],
    rounds: 1,
    seconds: 0.4,
    warmupSeconds: 0.1,
    idleSeconds: 0.2,
    probeSeconds: 0.02,
    quietMs: 50,
  },
  consumer: { fetchGigs: 84, backfillGigs: 400, latencyMs: 25, repeats: 1 },
  consumerCpu: CONSUMER_CPU_TINY,
  outbox: { deliveries: 3, latencyMs: 100, idleEvents: 300 },
};

export interface BenchResults {
  settings: BenchSettings;
  machine: Machine;
  startedAt: Date;
  /** Wall-clock seconds the whole benchmark took. */
  seconds: number;
  ingest: IngestResult;
  consumer: ConsumerRun[];
  consumerCpu: ConsumerCpuResult;
  outbox: OutboxResult;
}

export async function runBench(settings: BenchSettings, progress: (line: string) => void): Promise<BenchResults> {
  const startedAt = new Date();
  const started = performance.now();
  const ingest = await runIngest(settings.ingest, progress);

  const { fetchGigs, backfillGigs, latencyMs, repeats } = settings.consumer;
  const consumer: ConsumerRun[] = [];
  // Plans alternate within each repeat, so drift on a noisy machine hits both alike.
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const plan of PLANS) {
      const run = await runFetchScenario(fetchGigs, latencyMs, plan);
      consumer.push(run);
      progress(
        `per-ID fetch, ${plan.name}: ${run.seconds.toFixed(2)} s (bound ${boundSeconds("fetch", fetchGigs, latencyMs).toFixed(2)} s)`,
      );
    }
    for (const plan of PLANS) {
      const run = await runBackfillScenario(backfillGigs, latencyMs, plan);
      consumer.push(run);
      progress(
        `backfill, ${plan.name}: ${run.seconds.toFixed(2)} s (bound ${boundSeconds("backfill", backfillGigs, latencyMs).toFixed(2)} s)`,
      );
    }
  }
  const consumerCpu = await runConsumerCpu(settings.consumerCpu, progress);
  const outbox = await runOutboxScenario(settings.outbox, progress);
  return {
    settings,
    outbox,
    machine: describeMachine(),
    startedAt,
    seconds: (performance.now() - started) / 1000,
    ingest,
    consumer,
    consumerCpu,
  };
}
