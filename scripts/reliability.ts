/**
 * `npm run reliability`: runs every reliability scenario at full size (RELIABILITY_SCALE, default
 * full here), one after another, and writes RELIABILITY.md with the figures. Exits 1 if any
 * scenario broke an invariant or lost anything.
 *
 *   npm run reliability                                   all scenarios with 1 and with 3 gig shards,
 *                                                         writes RELIABILITY.md
 *   node scripts/reliability.ts --only argyle-429         one scenario (prints its rows only)
 *   node scripts/reliability.ts --shards 2                every scenario with 2 shards
 *   RELIABILITY_SEED=1234 node scripts/reliability.ts --only argyle-429   replay a seed
 *   node scripts/reliability.ts --out /tmp/report.md      write the report elsewhere
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { parseGigShards } from "./lib/common/shard-count.ts";
import { ROOT } from "./lib/common/stack.ts";
import { type Environment, formatMs, renderReport } from "./lib/reliability/report.ts";
import { currentScale } from "./lib/reliability/scale.ts";
import { describeRun, runScenario, type ScenarioRun } from "./lib/reliability/scenario.ts";
import { SCENARIOS } from "./lib/reliability/scenarios/index.ts";

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    out: { type: "string" },
    // Each scenario runs once per count: placement must hold with one shard and with several.
    shards: { type: "string", default: "1,3" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log("usage: node scripts/reliability.ts [--only id[,id…]] [--shards n[,n…]] [--out file]");
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
let shardCounts: number[];
try {
  shardCounts = values.shards.split(",").map((s) => parseGigShards(s) ?? Number.NaN);
  if (shardCounts.some(Number.isNaN)) throw new Error(`--shards must list whole numbers ≥ 1, got "${values.shards}"`);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

const started = performance.now();
const runs: ScenarioRun[] = [];
for (const [shards, scenario] of shardCounts.flatMap((n) => selected.map((s) => [n, s] as const))) {
  // The stacks the scenario starts read GIG_SHARDS.
  process.env.GIG_SHARDS = String(shards);
  const run = await runScenario(scenario, { scale, log: (line) => console.log(`  ${line}`) });
  runs.push(run);
  const ok = run.violations.length === 0 && run.lost === 0;
  console.log(
    `${ok ? "ok  " : "FAIL"} ${run.id} (${run.shards} shard${run.shards === 1 ? "" : "s"}): ${run.deliveries} deliveries, ${run.faults} faults, ${run.retries} retries, ` +
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
