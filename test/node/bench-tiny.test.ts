/**
 * `npm run bench` at its tiny scale, so CI runs every scenario and the benchmark cannot rot:
 * every figure the report quotes must come out a number. Nothing is asserted about the numbers
 * themselves (on a loaded CI machine they mean little), and BENCHMARKS.md is not touched.
 */
import { describe, expect, it } from "vitest";
import { deriveFigures } from "../../scripts/lib/bench/figures.ts";
import { renderReport } from "../../scripts/lib/bench/report.ts";
import { runBench, TINY } from "../../scripts/lib/bench/run.ts";

/** Paths (like `consumer.2.per1000.rowsWritten`) of every number in `value` that is not finite. */
function nonFinite(value: unknown, path = ""): string[] {
  if (typeof value === "number") return Number.isFinite(value) ? [] : [path];
  if (Array.isArray(value)) return value.flatMap((item, i) => nonFinite(item, `${path}.${i}`));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => nonFinite(item, path ? `${path}.${key}` : key));
  }
  return [];
}

describe("the benchmark, tiny", () => {
  it("runs every scenario and produces every figure", { timeout: 120_000 }, async () => {
    const results = await runBench(TINY, () => {});
    const figures = deriveFigures(results);

    const { payloads, concurrencies } = TINY.ingest;
    expect(figures.ingest).toHaveLength(Object.keys(payloads).length * concurrencies.length * 3);
    expect(figures.ingest.every((row) => row.ok > 0 && row.failed === 0)).toBe(true);
    expect(Object.keys(figures.probe)).toEqual(Object.keys(payloads));
    expect(figures.consumer.map((row) => `${row.scenario}/${row.plan.name}`).sort()).toEqual([
      "backfill/free",
      "backfill/paid",
      "fetch/free",
      "fetch/paid",
    ]);
    expect(figures.targets).toHaveLength(8);
    expect(nonFinite(figures)).toEqual([]);
    expect(nonFinite(results.ingest.memory)).toEqual([]);

    const report = renderReport(results, figures);
    expect(report).not.toMatch(/n\/a|NaN|undefined|Infinity/);
    for (const heading of [
      "## Targets",
      "## 1. Ingest",
      "## 2. CPU",
      "## 3. Consumer",
      "## 4. Consumer",
      "## 5. Cost",
    ]) {
      expect(report).toContain(heading);
    }
    expect(report).toContain("## 6. Memory");
    expect(report).toContain("## Consumer CPU and the Free plan");
    expect(report).toMatch(/\*\*Free plan verdict:\*\*/);
  });
});
