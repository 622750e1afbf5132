/**
 * The capacity part of the benchmark, runnable alone (`npm run bench -- --only capacity`):
 * measure the D1 costs on the real Workers, build the model, run the simulation.
 * @module
 */
import { CAPACITY_FULL, CAPACITY_TINY, type CapacitySettings, measureCapacity } from "./measure.ts";
import { buildModel, MODEL_DEFAULTS } from "./model.ts";
import type { CapacityResults, Sensitivity } from "./report.ts";
import { type SimSettings, simulate, simulateAll } from "./simulate.ts";

/** Write latencies the report also shows, since Cloudflare says only "several ms". */
export const SENSITIVITY_WRITE_MS = [1, 2, 5, 10];

/**
 * The scenario: heavy accounts (a busy driver's 50,000 gigs) backfilling together while
 * webhooks keep coming. Argyle's page time is not published; 500 ms is an assumption, stated in
 * the report. The simulation takes milliseconds, so the tiny run simulates the same.
 */
export const SIM_DEFAULTS: SimSettings = {
  backfills: 32,
  gigsPerBackfill: 50_000,
  pageGigs: MODEL_DEFAULTS.pageGigs,
  writeMs: MODEL_DEFAULTS.writeMs,
  readMs: MODEL_DEFAULTS.readMs,
  argyleMs: 500,
  webhooksPerSecond: 20,
  webhookIds: 5,
  shards: [1, 2, 4, 8],
  seed: 11,
};

export interface CapacityOptions {
  scale: "full" | "tiny";
  /** Milliseconds per write statement, for both the model and the simulation. */
  writeMs?: number;
  /** Sizes to measure at, instead of the scale's (tests use smaller still). */
  measure?: CapacitySettings;
}

export async function runCapacity(
  options: CapacityOptions,
  progress: (line: string) => void,
): Promise<CapacityResults> {
  const startedAt = new Date();
  const started = performance.now();
  const measurement = await measureCapacity(
    options.measure ?? (options.scale === "full" ? CAPACITY_FULL : CAPACITY_TINY),
    progress,
  );
  const writeMs = options.writeMs ?? MODEL_DEFAULTS.writeMs;
  const model = buildModel(measurement, { ...MODEL_DEFAULTS, writeMs });
  const settings = { ...SIM_DEFAULTS, writeMs };
  const inputs = {
    page: measurement.backfill.perPage,
    fetchGig: measurement.fetch.perGig,
    webhook: measurement.webhooks.typical.perWebhook,
  };
  const rows = simulateAll(settings, inputs);
  const most = Math.max(...SIM_DEFAULTS.shards);
  const sensitivity: Sensitivity[] = SENSITIVITY_WRITE_MS.map((ms) => {
    const at = { ...settings, writeMs: ms };
    const m = buildModel(measurement, { ...MODEL_DEFAULTS, writeMs: ms });
    const today = simulate("single", 1, at, inputs);
    const sharded = simulate("sharded", most, at, inputs);
    return {
      writeMs: ms,
      shardGigsPerSecond: m.backfillGigsPerSecond.perStatement,
      catalogWebhooksPerSecond: m.catalog.webhooksPerSecond,
      today: { makespanS: today.makespanS, worstIngestDelayMs: today.worstIngestDelayMs },
      sharded: { shards: most, makespanS: sharded.makespanS, worstIngestDelayMs: sharded.worstIngestDelayMs },
    };
  });
  return {
    startedAt,
    seconds: (performance.now() - started) / 1000,
    scale: options.scale,
    measurement,
    model,
    sim: { settings, rows, sensitivity },
  };
}
