/**
 * `npm run dry-run`: bundles every Worker for every environment with `wrangler deploy --dry-run`
 * (no network, no account needed), so a config or build mistake fails CI, not a deploy.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./lib/stack.ts";

const CONFIGS = ["wrangler.toml", "wrangler.consumer.toml"];

let failed = 0;
for (const config of CONFIGS) {
  const envs = [...readFileSync(path.join(ROOT, config), "utf8").matchAll(/^\[env\.([\w-]+)\]$/gm)].map((m) => m[1]);
  for (const env of [undefined, ...envs]) {
    const label = `${config}${env ? ` --env ${env}` : ""}`;
    const args = [
      "deploy",
      "--dry-run",
      "--config",
      config,
      "--outdir",
      path.join("dist", path.basename(config, ".toml"), env ?? "dev"),
    ];
    if (env) args.push("--env", env);
    const result = spawnSync("wrangler", args, { cwd: ROOT, encoding: "utf8", shell: false });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
    const output = `${result.stdout}${result.stderr}`.replace(/\x1b\[[0-9;]*m/g, "");
    const ok =
      result.status === 0 &&
      !/\[WARNING\]|\[ERROR\]/.test(output.replace(/Multiple environments are defined[^\n]*/g, ""));
    console.log(`${ok ? "ok  " : "FAIL"} ${label}`);
    if (!ok) {
      failed++;
      console.log(output);
    }
  }
}
process.exit(failed === 0 ? 0 : 1);
