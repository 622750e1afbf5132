/**
 * The capacity tooling (SCALING.md's numbers) at a tiny size, so it cannot rot: the measurement
 * runs on the real Workers and must come out in a plausible band, the simulation must show what
 * the model claims (more shards, shorter backfills; a separate catalog, no ingest stall), and
 * the report must render without a hole. SCALING.md itself is not touched.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type CapacitySettings, slope, type Work } from "../../scripts/lib/bench/capacity/measure.ts";
import { MODEL_DEFAULTS } from "../../scripts/lib/bench/capacity/model.ts";
import { BEGIN, END, renderCapacity, writeCapacitySection } from "../../scripts/lib/bench/capacity/report.ts";
import { runCapacity, SENSITIVITY_WRITE_MS, SIM_DEFAULTS } from "../../scripts/lib/bench/capacity/run.ts";
import { type SimSettings, simulate, simulateAll } from "../../scripts/lib/bench/capacity/simulate.ts";

const work = (w: Partial<Work>): Work => ({
  calls: 1,
  statements: 0,
  writeStatements: 0,
  rowsWritten: 0,
  rowsRead: 0,
  queueMessages: 0,
  ...w,
});

/** Roughly what the real Workers measure (a page: one batch of 35 writes; a webhook: 2 round trips, 3 writes). */
const INPUTS = {
  page: work({ calls: 1, statements: 35, writeStatements: 35 }),
  fetchGig: work({ calls: 0.05, statements: 0.22, writeStatements: 0.19 }),
  webhook: work({ calls: 2, statements: 3, writeStatements: 3 }),
};

const SMALL: SimSettings = { ...SIM_DEFAULTS, backfills: 16, gigsPerBackfill: 10_000 };

describe("the backfill simulation", () => {
  it("finishes concurrent backfills sooner with every doubling of shards, never faster than Argyle allows", () => {
    const sharded = SMALL.shards.map((k) => simulate("sharded", k, SMALL, INPUTS));
    for (let i = 1; i < sharded.length; i++) {
      const [before, after] = [sharded[i - 1], sharded[i]];
      if (!before || !after) throw new Error("missing rows");
      expect(after.makespanS).toBeLessThan(before.makespanS);
      // Twice the shards nearly halve a D1-bound makespan, until Argyle's own pace is the limit.
      expect(after.makespanS).toBeLessThan(Math.max(0.6 * before.makespanS, 1.5 * after.boundS));
    }
    for (const row of sharded) expect(row.makespanS).toBeGreaterThanOrEqual(row.boundS);
  });

  it("keeps webhook ingest off the backfills' queue once the catalog is its own database", () => {
    const [today, ...sharded] = simulateAll(SMALL, INPUTS);
    if (!today) throw new Error("no rows");
    // One database: a webhook waits behind every backfill's page batch.
    expect(today.worstIngestDelayMs).toBeGreaterThan(1000);
    for (const row of sharded) {
      expect(row.worstIngestDelayMs).toBeLessThan(today.worstIngestDelayMs / 10);
      expect(row.p99IngestDelayMs).toBeGreaterThanOrEqual(0);
    }
    expect(today.webhooks).toBeGreaterThan(0);
  });

  it("matches the arithmetic for one backfill alone: pages × (Argyle + the page's D1 time)", () => {
    const alone = { ...SMALL, backfills: 1, webhooksPerSecond: 0 };
    const row = simulate("sharded", 1, alone, INPUTS);
    const pages = Math.ceil(alone.gigsPerBackfill / alone.pageGigs);
    expect(row.makespanS).toBeCloseTo((pages * (alone.argyleMs + 35 * alone.writeMs)) / 1000, 6);
    expect(row.worstIngestDelayMs).toBe(0);
  });

  it("is deterministic for a seed", () => {
    expect(simulateAll(SMALL, INPUTS)).toEqual(simulateAll(SMALL, INPUTS));
  });
});

const TINY_MEASURE: CapacitySettings = {
  sizes: [200, 400],
  changeGigs: 12,
  webhooks: [10, 30],
  webhookIds: { typical: 5, large: 100 },
};

describe("the capacity measurement, tiny", () => {
  it("measures bytes and D1 work on the real Workers within plausible bands", { timeout: 180_000 }, async () => {
    const results = await runCapacity({ scale: "tiny", measure: TINY_MEASURE }, () => {});
    const { measurement: m, model } = results;

    // A stored gig holds its JSON, its indexed columns again, and index entries: more than the
    // JSON, but not many times more.
    expect(m.gigJsonBytes).toBeGreaterThan(1000);
    expect(m.bytesPerGig).toBeGreaterThan(m.gigJsonBytes);
    expect(m.bytesPerGig).toBeLessThan(4 * m.gigJsonBytes);
    for (const p of m.points) expect(p.bytes / p.gigs).toBeGreaterThan(m.gigJsonBytes);

    // Every stored gig is at least one row written (plus its index entries); batching means far
    // fewer statements than gigs.
    for (const perGig of [m.backfill.perGig, m.fetch.perGig]) {
      expect(perGig.rowsWritten).toBeGreaterThanOrEqual(1);
      expect(perGig.statements).toBeGreaterThan(0);
      expect(perGig.statements).toBeLessThan(1);
    }
    expect(m.removal.perGig.rowsWritten).toBeGreaterThanOrEqual(1);
    expect(m.backfill.perPage.writeStatements).toBeGreaterThan(1);

    // A webhook writes its event and its body: at least two rows, and stores more than its body.
    for (const kind of [m.webhooks.typical, m.webhooks.large]) {
      expect(kind.perWebhook.rowsWritten).toBeGreaterThanOrEqual(2);
      expect(kind.perWebhook.writeStatements).toBeGreaterThanOrEqual(1);
      expect(kind.bytesPerEvent).toBeGreaterThan(kind.bodyBytes);
    }
    expect(m.webhooks.large.bytesPerEvent).toBeGreaterThan(m.webhooks.typical.bytesPerEvent);

    const [small, large] = model.sizing;
    expect(small?.accountsPerShard).toBeGreaterThan(large?.accountsPerShard ?? Infinity);
    expect(model.backfillGigsPerSecond.perCall).toBeGreaterThan(model.backfillGigsPerSecond.perStatement);

    // Slower writes: a shard and the catalog sustain less, and one database stalls ingest longer.
    const { sensitivity } = results.sim;
    expect(sensitivity.map((x) => x.writeMs)).toEqual(SENSITIVITY_WRITE_MS);
    for (let i = 1; i < sensitivity.length; i++) {
      const [faster, slower] = [sensitivity[i - 1], sensitivity[i]];
      if (!faster || !slower) throw new Error("missing rows");
      expect(slower.shardGigsPerSecond).toBeLessThan(faster.shardGigsPerSecond);
      expect(slower.catalogWebhooksPerSecond).toBeLessThan(faster.catalogWebhooksPerSecond);
      expect(slower.today.worstIngestDelayMs).toBeGreaterThan(faster.today.worstIngestDelayMs);
    }

    const section = renderCapacity(results);
    expect(section).not.toMatch(/NaN|undefined|Infinity/);
    expect(section.startsWith(BEGIN) && section.endsWith(END)).toBe(true);
    expect(section).toContain(`${MODEL_DEFAULTS.writeMs} ms per write statement`);

    // The section replaces exactly the generated part of a report, prose kept.
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), "capacity-")), "SCALING.md");
    await writeFile(file, `# Prose before\n\n${BEGIN}\nold\n${END}\n\nProse after.\n`);
    await writeCapacitySection(file, section);
    const written = await readFile(file, "utf8");
    expect(written).toBe(`# Prose before\n\n${section}\n\nProse after.\n`);
  });

  it("fits a slope exactly on a line", () => {
    expect(
      slope([
        [1000, 4_000_100],
        [2000, 8_000_100],
        [4000, 16_000_100],
      ]),
    ).toBeCloseTo(4000, 9);
  });
});
