/**
 * Runs a deploy plan: each step in order, skipped steps only printed, and the first failure
 * stops everything after it. The process runner is passed in, so the order and the stopping can
 * be tested without wrangler.
 * @module
 */
import { EXIT_FAILED, EXIT_OK } from "../common/cli-errors.ts";
import type { CliIo } from "../common/cli-io.ts";
import { type DeployStep, formatStep } from "./plan.ts";

/** How a step's process ended: like spawnSync's result. */
export interface StepResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export type StepRunner = (step: DeployStep) => StepResult;

export function runDeploySteps(steps: readonly DeployStep[], run: StepRunner, io: CliIo): number {
  for (const [i, step] of steps.entries()) {
    const line = `[${i + 1}/${steps.length}] ${step.label}: ${formatStep(step)}`;
    if (step.skip) {
      io.out(`${line}\n      skipped (--dry-run): this is what a deploy would run`);
      continue;
    }
    io.out(line);
    const result = run(step);
    if (result.error) {
      const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT";
      io.err(
        missing
          ? `deploy: ${step.command} is not on PATH; run this through \`npm run deploy\``
          : `deploy: could not run ${step.command}: ${result.error.message}`,
      );
      return EXIT_FAILED;
    }
    if (result.status !== 0) {
      const how = result.signal ? `was killed by ${result.signal}` : `exited with ${result.status}`;
      io.err(`deploy: stopped: \`${formatStep(step)}\` ${how}.`);
      const notRun = steps.slice(i + 1).filter((s) => !s.skip);
      if (notRun.length > 0) io.err(`deploy: not run: ${notRun.map((s) => s.label).join("; ")}`);
      return EXIT_FAILED;
    }
  }
  return EXIT_OK;
}
