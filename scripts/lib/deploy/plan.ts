/**
 * `npm run deploy`: the commands, in order. Remote D1 migrations first (new code may need new
 * columns; the old code ignores them): the catalog, then every gig shard the environment binds,
 * each with its own folder (wrangler takes it from the binding's migrations_dir), so a shard just
 * added to the configs is migrated before any Worker can place an account on it. Then the
 * consumer, then the receiver, so the queue has its consumer before the receiver starts filling it.
 * @module
 */
import { parseArgs } from "node:util";
import { argsError, UsageError } from "../common/cli-errors.ts";
import type { D1Binding } from "./d1-bindings.ts";

export const DEPLOY_ENVS = ["staging", "production"] as const;
export type DeployEnv = (typeof DEPLOY_ENVS)[number];

export interface DeployOptions {
  env: DeployEnv;
  dryRun: boolean;
}

export type DeployCommand = { kind: "help" } | { kind: "deploy"; options: DeployOptions };

export interface DeployStep {
  /** What the step does, for the log. */
  label: string;
  command: "wrangler";
  args: string[];
  /** Printed but not run (the remote migration of a dry run). */
  skip: boolean;
}

export const DEPLOY_USAGE = `usage: npm run deploy [-- --env staging|production] [--dry-run]

Deploys both Workers to one environment (default production), stopping at the first failure:
  1. wrangler d1 migrations apply DB --remote --config wrangler.toml --env E   (the catalog)
  2. wrangler d1 migrations apply SHARD_n --remote --config wrangler.toml --env E, for each gig
     shard the environment binds (SHARD_1, SHARD_2, …)
  3. wrangler deploy --config wrangler.consumer.toml --env E
  4. wrangler deploy --config wrangler.toml --env E
--dry-run builds both Workers with wrangler deploy --dry-run and only prints the migration step.`;

export function parseDeployArgs(argv: readonly string[]): DeployCommand {
  let values: { env?: string; "dry-run"?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        env: { type: "string" },
        "dry-run": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw argsError(error);
  }
  if (values.help) return { kind: "help" };
  const env = values.env ?? "production";
  if (!isDeployEnv(env)) throw new UsageError(`--env must be ${DEPLOY_ENVS.join(" or ")}, got "${env}"`);
  return { kind: "deploy", options: { env, dryRun: values["dry-run"] === true } };
}

const SHARD_BINDING = /^SHARD_([1-9]\d*)$/;

/**
 * The steps of a deploy, in the order they must run. `databases` are the environment's D1
 * bindings in wrangler.toml (`npm run dry-run` checks the consumer's config binds the same).
 */
export function deployPlan({ env, dryRun }: DeployOptions, databases: readonly D1Binding[]): DeployStep[] {
  const envArgs = ["--env", env];
  const dry = dryRun ? ["--dry-run"] : [];
  const catalog = databases.find((d) => d.binding === "DB");
  if (!catalog) throw new UsageError(`wrangler.toml binds no catalog database (DB) in env ${env}`);
  const shards = databases
    .filter((d) => SHARD_BINDING.test(d.binding))
    .sort((a, b) => shardNumber(a.binding) - shardNumber(b.binding));
  const migrate = (d: D1Binding, role: string): DeployStep => ({
    label: `apply D1 migrations to ${role} ${d.binding} (${d.database_name ?? "unnamed"})`,
    command: "wrangler",
    // By binding name: wrangler then finds the database and that binding's migrations_dir.
    args: ["d1", "migrations", "apply", d.binding, "--remote", "--config", "wrangler.toml", ...envArgs],
    // A dry run must not touch the remote databases; wrangler has no dry run for migrations.
    skip: dryRun,
  });
  return [
    migrate(catalog, "the catalog"),
    ...shards.map((shard) => migrate(shard, "gig shard")),
    {
      label: `deploy the consumer to ${env}`,
      command: "wrangler",
      args: ["deploy", "--config", "wrangler.consumer.toml", ...envArgs, ...dry],
      skip: false,
    },
    {
      label: `deploy the receiver to ${env}`,
      command: "wrangler",
      args: ["deploy", "--config", "wrangler.toml", ...envArgs, ...dry],
      skip: false,
    },
  ];
}

/** A step as a shell-style line, for the log. */
export function formatStep(step: DeployStep): string {
  return [step.command, ...step.args].join(" ");
}

function shardNumber(binding: string): number {
  return Number(SHARD_BINDING.exec(binding)?.[1] ?? 0);
}

function isDeployEnv(value: string): value is DeployEnv {
  return (DEPLOY_ENVS as readonly string[]).includes(value);
}
