/**
 * `npm run reliability`: runs every reliability scenario at full size (RELIABILITY_SCALE, default
 * full here), one after another, and writes RELIABILITY.md with the figures. Exits 1 if any
 * scenario broke an invariant or lost anything.
 *
 *   npm run reliability                                   all scenarios, writes RELIABILITY.md
 *   node scripts/reliability.ts --only argyle-429         one scenario (prints its row only)
 *   RELIABILITY_SEED=1234 node scripts/reliability.ts --only argyle-429   replay a seed
 *   node scripts/reliability.ts --out /tmp/report.md      write the report elsewhere
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "./lib/common/stack.ts";
import { type Environment, formatMs, renderReport } from "./lib/reliability/report.ts";
import { currentScale } from "./lib/reliability/scale.ts";
import { describeRun, runScenario, type ScenarioRun } from "./lib/reliability/scenario.ts";
import { SCENARIOS } from "./lib/reliability/scenarios/index.ts";

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    out: { type: "string" },
    shards: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log("usage: node scripts/reliability.ts [--only id[,id…]] [--shards n[,n…]] [--out file]");
  console.log("  --shards: gig shard counts to run every scenario with (default 1,3)");
  console.log(`scenarios: ${SCENARIOS.map((s) => s.id).join(", ")}`);
  process.exit(0);
}

const scale = currentScale({ ...process.env, RELIABILITY_SCALE: process.env.RELIABILITY_SCALE || "full" });
const only = values.only?.split(",").map((s) => s.trim());
const unknown = only?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.id).join(", ")}`);
  process.exit(2);
}
const selected = SCENARIOS.filter((s) => !only || only.includes(s.id));

// Every scenario runs with one gig shard and with three (issue 11): the stack binds SHARD_1..N.
const shardCounts = (values.shards ?? "1,3").split(",").map((s) => Number(s.trim()));
if (shardCounts.some((n) => !Number.isInteger(n) || n < 1)) {
  console.error(`--shards takes whole numbers ≥ 1, e.g. 1,3; got ${values.shards}`);
  process.exit(2);
}

const started = performance.now();
const runs: ScenarioRun[] = [];
for (const [shards, scenario] of shardCounts.flatMap((n) => selected.map((s) => [n, s] as const))) {
  process.env.GIG_SHARDS = String(shards);
  console.log(`[reliability] ${scenario.id} with ${shards} gig shard(s)`);
  const run = await runScenario(scenario, { scale, log: (line) => console.log(`  ${line}`) });
  runs.push(run);
  const ok = run.violations.length === 0 && run.lost === 0;
  console.log(
    `${ok ? "ok  " : "FAIL"} ${run.id} (${run.shards} shard(s)): ${run.deliveries} deliveries, ${run.faults} faults, ${run.retries} retries, ` +
      `lost ${run.lost} (${formatMs(run.ms)})`,
  );
  if (!ok) console.log(describeRun(run));
}
const totalMs = Math.round(performance.now() - started);

if (!only || values.out) {
  const file = path.resolve(values.out ?? path.join(ROOT, "RELIABILITY.md"));
  writeFileSync(file, renderReport(runs, environment(totalMs)));
  try {
    // Biome formats Markdown too (aligned tables): write what `npm run lint` accepts.
    execFileSync(path.join(ROOT, "node_modules", ".bin", "biome"), ["format", "--write", file], { stdio: "ignore" });
  } catch {
    // Outside the project (--out elsewhere) Biome declines: the report is still complete.
  }
  console.log(`\nwrote ${path.relative(process.cwd(), file) || file}`);
}
const failed = runs.filter((r) => r.violations.length > 0 || r.lost > 0);
console.log(`${runs.length - failed.length}/${runs.length} scenarios held, in ${formatMs(totalMs)}`);
// Stray timers (a hung request the local Argyle holds, a fast-check time limit) must not keep us.
process.exit(failed.length === 0 ? 0 : 1);

function environment(ms: number): Environment {
  const cpus = os.cpus();
  const version = (pkg: string) => {
    try {
      return (
        JSON.parse(readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }
      ).version;
    } catch {
      return "unknown";
    }
  };
  let commit = "unknown";
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    commit = `${head}${dirty.trim() ? " (with uncommitted changes)" : ""}`;
  } catch {
    // Not a git checkout: leave it unknown.
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    machine: `${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM`,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    versions: {
      Node: process.version,
      workerd: version("workerd"),
      miniflare: version("miniflare"),
      wrangler: version("wrangler"),
      "fast-check": version("fast-check"),
    },
    commit,
    totalMs: ms,
  };
}
