/**
 * `npm run deploy [-- --env staging|production] [--dry-run]`: remote D1 migrations (the catalog,
 * then every gig shard), then the consumer, then the receiver (see scripts/lib/deploy/plan.ts for why in that order). Each step
 * runs `wrangler` from PATH (npm run puts node_modules/.bin first) with its output shown as is;
 * the first failure stops the deploy.
 * @module
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EXIT_OK, EXIT_USAGE, UsageError } from "./lib/common/cli-errors.ts";
import { processIo } from "./lib/common/cli-io.ts";
import { d1Bindings } from "./lib/deploy/d1-bindings.ts";
import { DEPLOY_USAGE, type DeployCommand, deployPlan, parseDeployArgs } from "./lib/deploy/plan.ts";
import { runDeploySteps } from "./lib/deploy/run.ts";

/** The project root, where the wrangler configs are (wherever npm run was started from). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

let command: DeployCommand;
try {
  command = parseDeployArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`deploy: ${error.message}\n\n${DEPLOY_USAGE}`);
  process.exit(EXIT_USAGE);
}
if (command.kind === "help") {
  console.log(DEPLOY_USAGE);
  process.exit(EXIT_OK);
}

const { env, dryRun } = command.options;
let plan: ReturnType<typeof deployPlan>;
try {
  plan = deployPlan(command.options, d1Bindings(ROOT, env));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`deploy: ${error.message}`);
  process.exit(EXIT_USAGE);
}
const code = runDeploySteps(
  plan,
  (step) => spawnSync(step.command, step.args, { cwd: ROOT, stdio: "inherit", shell: false }),
  processIo(),
);
if (code === EXIT_OK) console.log(dryRun ? "dry run complete: both Workers build" : `deployed to ${env}`);
process.exitCode = code;
