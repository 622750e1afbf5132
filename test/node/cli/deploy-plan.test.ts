import path from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../scripts/lib/common/cli-errors.ts";
import { d1Bindings } from "../../../scripts/lib/deploy/d1-bindings.ts";
import { type DeployStep, deployPlan, formatStep, parseDeployArgs } from "../../../scripts/lib/deploy/plan.ts";
import { runDeploySteps, type StepResult } from "../../../scripts/lib/deploy/run.ts";
import { captureIo } from "./helpers.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");

/** The project's own D1 bindings of `env` in wrangler.toml. */
const databases = (env: string) => d1Bindings(ROOT, env);

describe("npm run deploy: the plan", () => {
  it("defaults to production: migrations of the catalog and every shard, then the consumer, then the receiver", () => {
    const command = parseDeployArgs([]);
    expect(command).toEqual({ kind: "deploy", options: { env: "production", dryRun: false } });
    if (command.kind !== "deploy") throw new Error("expected a deploy");
    const steps = deployPlan(command.options, databases("production"));
    expect(steps.map(formatStep)).toEqual([
      "wrangler d1 migrations apply DB --remote --config wrangler.toml --env production",
      "wrangler d1 migrations apply SHARD_1 --remote --config wrangler.toml --env production",
      "wrangler d1 migrations apply SHARD_2 --remote --config wrangler.toml --env production",
      "wrangler deploy --config wrangler.consumer.toml --env production",
      "wrangler deploy --config wrangler.toml --env production",
    ]);
    expect(steps.every((s) => !s.skip && s.command === "wrangler")).toBe(true);
  });

  it("deploys staging with --env staging", () => {
    const command = parseDeployArgs(["--env", "staging"]);
    if (command.kind !== "deploy") throw new Error("expected a deploy");
    expect(deployPlan(command.options, databases("staging")).map((s) => s.args.slice(-2))).toEqual([
      ["--env", "staging"],
      ["--env", "staging"],
      ["--env", "staging"],
      ["--env", "staging"],
      ["--env", "staging"],
    ]);
  });

  it("--dry-run skips the remote migration and passes --dry-run to both deploys", () => {
    const command = parseDeployArgs(["--dry-run", "--env", "staging"]);
    if (command.kind !== "deploy") throw new Error("expected a deploy");
    const steps = deployPlan(command.options, databases("staging"));
    expect(steps.map((s) => ({ run: !s.skip, line: formatStep(s) }))).toEqual([
      { run: false, line: "wrangler d1 migrations apply DB --remote --config wrangler.toml --env staging" },
      { run: false, line: "wrangler d1 migrations apply SHARD_1 --remote --config wrangler.toml --env staging" },
      { run: false, line: "wrangler d1 migrations apply SHARD_2 --remote --config wrangler.toml --env staging" },
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

  it("names each database it migrates, the catalog first, then the shards in numeric order", () => {
    const steps = deployPlan({ env: "production", dryRun: false }, [
      { binding: "SHARD_10", database_name: "shard-10" },
      { binding: "SHARD_2", database_name: "shard-2" },
      { binding: "DB", database_name: "catalog" },
      { binding: "SHARD_1", database_name: "shard-1" },
    ]);
    expect(steps.map((s) => s.label)).toEqual([
      "apply D1 migrations to the catalog DB (catalog)",
      "apply D1 migrations to gig shard SHARD_1 (shard-1)",
      "apply D1 migrations to gig shard SHARD_2 (shard-2)",
      "apply D1 migrations to gig shard SHARD_10 (shard-10)",
      "deploy the consumer to production",
      "deploy the receiver to production",
    ]);
  });

  it("refuses an environment that binds no catalog", () => {
    expect(() => deployPlan({ env: "staging", dryRun: false }, [{ binding: "SHARD_1" }])).toThrow(
      /binds no catalog database \(DB\) in env staging/,
    );
  });

  it("answers --help", () => {
    expect(parseDeployArgs(["--help"])).toEqual({ kind: "help" });
  });
});

describe("npm run deploy: running the plan", () => {
  const plan = (dryRun: boolean) => deployPlan({ env: "production", dryRun }, databases("production"));
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
    expect(ran).toEqual(plan(false).slice(0, 4).map(formatStep));
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

  it("a failed shard migration stops before any Worker is deployed, and says what did not run", () => {
    const { ran, run } = recorder((s) => (s.args.includes("SHARD_1") ? { status: 1, signal: null } : ok));
    const io = captureIo();
    expect(runDeploySteps(plan(false), run, io)).toBe(1);
    expect(ran).toEqual(plan(false).slice(0, 2).map(formatStep));
    expect(io.stderr).toEqual([
      "deploy: stopped: `wrangler d1 migrations apply SHARD_1 --remote --config wrangler.toml --env production` exited with 1.",
      "deploy: not run: apply D1 migrations to gig shard SHARD_2 (argyle-gig-shard-2-production); deploy the consumer to production; deploy the receiver to production",
    ]);
  });

  it("--dry-run prints the migrations without running them", () => {
    const { ran, run } = recorder();
    const io = captureIo();
    expect(runDeploySteps(plan(true), run, io)).toBe(0);
    expect(ran).toEqual([
      "wrangler deploy --config wrangler.consumer.toml --env production --dry-run",
      "wrangler deploy --config wrangler.toml --env production --dry-run",
    ]);
    expect(io.stdout[0]).toMatch(/wrangler d1 migrations apply DB --remote .*\n {6}skipped \(--dry-run\)/);
    expect(io.stdout[2]).toMatch(
      /SHARD_2 \(argyle-gig-shard-2-production\): wrangler d1 migrations apply SHARD_2 .*\n {6}skipped/,
    );
  });

  it("says so when wrangler is not on PATH", () => {
    const missing = Object.assign(new Error("spawnSync wrangler ENOENT"), { code: "ENOENT" });
    const io = captureIo();
    expect(runDeploySteps(plan(false), () => ({ status: null, signal: null, error: missing }), io)).toBe(1);
    expect(io.stderr).toEqual(["deploy: wrangler is not on PATH; run this through `npm run deploy`"]);
  });
});
