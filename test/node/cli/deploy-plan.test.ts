import { describe, expect, it } from "vitest";
import { UsageError } from "../../../scripts/lib/common/cli-errors.ts";
import { type DeployStep, deployPlan, formatStep, parseDeployArgs } from "../../../scripts/lib/deploy/plan.ts";
import { runDeploySteps, type StepResult } from "../../../scripts/lib/deploy/run.ts";
import { captureIo } from "./helpers.ts";

describe("npm run deploy: the plan", () => {
  it("defaults to production: migrations, then the consumer, then the receiver", () => {
    const command = parseDeployArgs([]);
    expect(command).toEqual({ kind: "deploy", options: { env: "production", dryRun: false } });
    if (command.kind !== "deploy") throw new Error("expected a deploy");
    const steps = deployPlan(command.options);
    expect(steps.map(formatStep)).toEqual([
      "wrangler d1 migrations apply DB --remote --config wrangler.toml --env production",
      "wrangler deploy --config wrangler.consumer.toml --env production",
      "wrangler deploy --config wrangler.toml --env production",
    ]);
    expect(steps.every((s) => !s.skip && s.command === "wrangler")).toBe(true);
  });

  it("deploys staging with --env staging", () => {
    const command = parseDeployArgs(["--env", "staging"]);
    if (command.kind !== "deploy") throw new Error("expected a deploy");
    expect(deployPlan(command.options).map((s) => s.args.slice(-2))).toEqual([
      ["--env", "staging"],
      ["--env", "staging"],
      ["--env", "staging"],
    ]);
  });

  it("--dry-run skips the remote migration and passes --dry-run to both deploys", () => {
    const command = parseDeployArgs(["--dry-run", "--env", "staging"]);
    if (command.kind !== "deploy") throw new Error("expected a deploy");
    const steps = deployPlan(command.options);
    expect(steps.map((s) => ({ run: !s.skip, line: formatStep(s) }))).toEqual([
      { run: false, line: "wrangler d1 migrations apply DB --remote --config wrangler.toml --env staging" },
      { run: true, line: "wrangler deploy --config wrangler.consumer.toml --env staging --dry-run" },
      { run: true, line: "wrangler deploy --config wrangler.toml --env staging --dry-run" },
    ]);
  });

  it.each([
    [["--env", "prod"], /--env must be staging or production, got "prod"/],
    [["--env"], /--env/],
    [["production"], /Unexpected argument 'production'/],
    [["--force"], /^Unknown option '--force'$/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseDeployArgs(argv)).toThrow(UsageError);
    expect(() => parseDeployArgs(argv)).toThrow(message);
  });

  it("answers --help", () => {
    expect(parseDeployArgs(["--help"])).toEqual({ kind: "help" });
  });
});

describe("npm run deploy: running the plan", () => {
  const plan = (dryRun: boolean) => deployPlan({ env: "production", dryRun });
  const ok = { status: 0, signal: null };

  /** A runner answering `result(step)` and recording each command it was asked to run. */
  function recorder(result: (step: DeployStep) => StepResult = () => ok) {
    const ran: string[] = [];
    const run = (step: DeployStep) => {
      ran.push(formatStep(step));
      return result(step);
    };
    return { ran, run };
  }

  it("runs every step in order when each succeeds", () => {
    const { ran, run } = recorder();
    const io = captureIo();
    expect(runDeploySteps(plan(false), run, io)).toBe(0);
    expect(ran).toEqual(plan(false).map(formatStep));
    expect(io.stderr).toEqual([]);
  });

  it("stops at the first failure and says what did not run", () => {
    const { ran, run } = recorder((s) =>
      s.args.includes("wrangler.consumer.toml") ? { status: 1, signal: null } : ok,
    );
    const io = captureIo();
    expect(runDeploySteps(plan(false), run, io)).toBe(1);
    expect(ran).toEqual(plan(false).slice(0, 2).map(formatStep));
    expect(io.stderr).toEqual([
      "deploy: stopped: `wrangler deploy --config wrangler.consumer.toml --env production` exited with 1.",
      "deploy: not run: deploy the receiver to production",
    ]);
  });

  it("a failed migration stops before any Worker is deployed", () => {
    const { ran, run } = recorder(() => ({ status: 2, signal: null }));
    expect(runDeploySteps(plan(false), run, captureIo())).toBe(1);
    expect(ran).toEqual(plan(false).slice(0, 1).map(formatStep));
  });

  it("--dry-run prints the migration without running it", () => {
    const { ran, run } = recorder();
    const io = captureIo();
    expect(runDeploySteps(plan(true), run, io)).toBe(0);
    expect(ran).toEqual([
      "wrangler deploy --config wrangler.consumer.toml --env production --dry-run",
      "wrangler deploy --config wrangler.toml --env production --dry-run",
    ]);
    expect(io.stdout[0]).toMatch(/wrangler d1 migrations apply DB --remote .*\n {6}skipped \(--dry-run\)/);
  });

  it("says so when wrangler is not on PATH", () => {
    const missing = Object.assign(new Error("spawnSync wrangler ENOENT"), { code: "ENOENT" });
    const io = captureIo();
    expect(runDeploySteps(plan(false), () => ({ status: null, signal: null, error: missing }), io)).toBe(1);
    expect(io.stderr).toEqual(["deploy: wrangler is not on PATH; run this through `npm run deploy`"]);
  });
});
