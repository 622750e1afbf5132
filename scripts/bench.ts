/**
 * `npm run bench`: ingest speed and CPU against the runtime's floor, consumer throughput against
 * Argyle's bound, cost per 1,000 gigs and memory, all on the local runtime with the local Argyle,
 * baselines measured in the same run. Writes BENCHMARKS.md.
 *
 *   npm run bench                      full run (a few minutes), writes BENCHMARKS.md
 *   node scripts/bench.ts --tiny       every scenario at a minimal size (seconds), prints the report
 *   node scripts/bench.ts --out FILE   write the report to FILE instead
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { deriveFigures } from "./lib/bench/figures.ts";
import { runOutboxScenario } from "./lib/bench/outbox-scenario.ts";
import { renderReport } from "./lib/bench/report.ts";
import { renderOutboxSection } from "./lib/bench/report-outbox.ts";
import { FULL, runBench, TINY } from "./lib/bench/run.ts";
import { ROOT } from "./lib/stack.ts";

const { values } = parseArgs({
  options: {
    tiny: { type: "boolean", default: false },
    outbox: { type: "boolean", default: false },
    out: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log("usage: node scripts/bench.ts [--tiny] [--outbox] [--out FILE]");
  process.exit(0);
}

if (values.outbox) {
  // Only the outbox piece (round trips before the 202, idle cron rows), printed, nothing written.
  const settings = (values.tiny ? TINY : FULL).outbox;
  const result = await runOutboxScenario(settings, (line) => console.error(`bench: ${line}`));
  console.log(renderOutboxSection(result).join("\n"));
  process.exit(0);
}

const settings = values.tiny ? TINY : FULL;
// A tiny run's figures mean nothing: it never replaces the committed report unless asked to.
const out = values.out ?? (values.tiny ? null : path.join(ROOT, "BENCHMARKS.md"));

const results = await runBench(settings, (line) => console.error(`bench: ${line}`));
const report = renderReport(results, deriveFigures(results));
if (out) {
  await writeFile(out, report);
  console.error(`bench: wrote ${path.relative(process.cwd(), out) || out} in ${results.seconds.toFixed(0)} s`);
} else {
  console.log(report);
}
