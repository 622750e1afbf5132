/**
 * `npm run bench`: ingest speed and CPU against the runtime's floor, consumer throughput against
 * Argyle's bound, cost per 1,000 gigs and memory, all on the local runtime with the local Argyle,
 * baselines measured in the same run. Writes BENCHMARKS.md. Then the capacity part: D1 bytes and
 * work per gig and per webhook, the shard model and the backfill simulation, written into
 * SCALING.md's generated section.
 *
 *   npm run bench                              full run (a few minutes), writes BENCHMARKS.md and SCALING.md
 *   npm run bench -- --only capacity           the capacity part alone (about a minute), writes SCALING.md
 *   npm run bench -- --only capacity --write-ms 2   …with another D1 write latency (default 5)
 *   npm run bench -- --only consumer-cpu [--tiny]   only the consumer CPU probe, printed
 *   npm run bench -- --only outbox [--tiny]    only round trips before the 202 and idle-cron rows, printed
 *   node scripts/bench.ts --tiny               every scenario at a minimal size (seconds), prints the reports
 *   node scripts/bench.ts --out FILE           write the report to FILE instead (with --only capacity: the section)
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { renderCapacity, writeCapacitySection } from "./lib/bench/capacity/report.ts";
import { runCapacity } from "./lib/bench/capacity/run.ts";
import { CONSUMER_CPU_FULL, CONSUMER_CPU_TINY, renderConsumerCpu, runConsumerCpu } from "./lib/bench/consumer-cpu.ts";
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
    only: { type: "string" },
    "write-ms": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

const usage =
  "usage: node scripts/bench.ts [--tiny] [--out FILE] [--only capacity|consumer-cpu|outbox] [--write-ms MS]";
// --outbox is the older spelling of --only outbox.
if (values.outbox) values.only = "outbox";
if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (values.only !== undefined && !["capacity", "consumer-cpu", "outbox"].includes(values.only)) {
  console.error(`bench: --only takes "capacity", "consumer-cpu" or "outbox" (the other parts run together)\n${usage}`);
  process.exit(2);
}
if (values.only === "outbox") {
  // Only the outbox piece (round trips before the 202, idle cron rows), printed, nothing written.
  const result = await runOutboxScenario((values.tiny ? TINY : FULL).outbox, (line) => console.error(`bench: ${line}`));
  console.log(renderOutboxSection(result).join("\n"));
  process.exit(0);
}
if (values.only === "consumer-cpu") {
  const cpu = await runConsumerCpu(values.tiny ? CONSUMER_CPU_TINY : CONSUMER_CPU_FULL, (line) =>
    console.error(`bench: ${line}`),
  );
  console.log(renderConsumerCpu(cpu));
  process.exit(0);
}
const writeMs = values["write-ms"] === undefined ? undefined : Number(values["write-ms"]);
if (writeMs !== undefined && !(Number.isFinite(writeMs) && writeMs > 0)) {
  console.error(`bench: --write-ms must be a positive number of milliseconds\n${usage}`);
  process.exit(2);
}

const progress = (line: string) => console.error(`bench: ${line}`);
// A tiny run's figures mean nothing: it never replaces a committed report unless asked to.
if (values.only === undefined) {
  const settings = values.tiny ? TINY : FULL;
  const out = values.out ?? (values.tiny ? null : path.join(ROOT, "BENCHMARKS.md"));
  const results = await runBench(settings, progress);
  const report = renderReport(results, deriveFigures(results));
  if (out) {
    await writeFile(out, report);
    progress(`wrote ${path.relative(process.cwd(), out) || out} in ${results.seconds.toFixed(0)} s`);
  } else {
    console.log(report);
  }
}

const capacity = await runCapacity({ scale: values.tiny ? "tiny" : "full", ...(writeMs ? { writeMs } : {}) }, progress);
const section = renderCapacity(capacity);
if (values.only !== undefined && values.out) {
  await writeFile(values.out, `${section}\n`);
  progress(`wrote ${values.out}`);
} else if (values.tiny) {
  console.log(section);
} else {
  await writeCapacitySection(path.join(ROOT, "SCALING.md"), section);
  progress(`wrote SCALING.md's generated section in ${capacity.seconds.toFixed(0)} s`);
}
