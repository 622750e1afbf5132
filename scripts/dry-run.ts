/**
 * `npm run dry-run`: bundles every Worker for every environment with `wrangler deploy --dry-run`
 * (no network, no account needed), so a config or build mistake fails CI, not a deploy. Any
 * wrangler warning counts as a failure: warnings here are config mistakes. The consumer's
 * ARGYLE_API_URL is checked too: one that cannot be Argyle's v2 API fails the run. So are the D1
 * bindings: the catalog and every gig shard bound alike in both configs, in every environment.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./lib/common/stack.ts";
import { bodyLimitProblems } from "./lib/deploy/body-limit-check.ts";
import { argyleUrlProblems } from "./lib/deploy/consumer-url-check.ts";
import { shardBindingProblems } from "./lib/deploy/shard-bindings-check.ts";

const CONFIGS = ["wrangler.toml", "wrangler.consumer.toml"];

let failed = 0;
// Config wrangler accepts but the Workers would refuse at run time.
for (const problem of [...bodyLimitProblems(ROOT), ...shardBindingProblems(ROOT)]) {
  console.log(`FAIL ${problem}`);
  failed++;
}
for (const config of CONFIGS) {
  const envs = [...readFileSync(path.join(ROOT, config), "utf8").matchAll(/^\[env\.([\w-]+)\]$/gm)].map((m) => m[1]);
  for (const env of [undefined, ...envs]) {
    const label = `${config}${env ? ` --env ${env}` : ""}`;
    if (config === "wrangler.consumer.toml") {
      const problems = argyleUrlProblems(path.join(ROOT, config), [env]);
      for (const problem of problems) console.log(`FAIL ${label}: ${problem}`);
      failed += problems.length;
      // This environment has failed already; a bundle of it would prove nothing more.
      if (problems.length > 0) continue;
    }
    const outdir = path.join("dist", path.basename(config, ".toml"), env ?? "top-level");
    // `--env=` names the top-level environment explicitly, as wrangler asks once envs exist.
    const args = ["deploy", "--dry-run", "--config", config, "--outdir", outdir, `--env=${env ?? ""}`];
    const result = spawnSync("wrangler", args, { cwd: ROOT, encoding: "utf8", shell: false });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
    const output = `${result.stdout}${result.stderr}`.replace(/\x1b\[[0-9;]*m/g, "");
    const ok = result.status === 0 && !/\[WARNING\]|\[ERROR\]/.test(output);
    console.log(`${ok ? "ok  " : "FAIL"} ${label}`);
    if (!ok) {
      failed++;
      console.log(output);
    }
  }
}
process.exit(failed === 0 ? 0 : 1);
