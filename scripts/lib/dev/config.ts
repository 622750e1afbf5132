/**
 * Settings for `npm run dev`: embedded defaults that make the whole product run offline, each
 * overridable from the process environment with the same names the Workers use in production.
 * @module
 */

import { parseGigShards } from "../common/shard-count.ts";

/** Defaults printed at start; fine for a laptop, never for a deployment. */
export const DEV_DEFAULTS = {
  PORT: "8787",
  LOCAL_ARGYLE_PORT: "8788",
  ALERT_SINK_PORT: "8789",
  ARGYLE_WEBHOOK_SECRET: "dev-webhook-secret",
  // The least-privilege pair (README: tokens). The admin token also opens the console.
  API_TOKEN_ADMIN: "dev-api-token",
  API_TOKEN_READ: "dev-read-token",
  ARGYLE_API_KEY_ID: "local-key-id",
  ARGYLE_API_KEY_SECRET: "local-key-secret",
} as const;

/** Receiver vars and secrets passed through from the environment when set. */
const RECEIVER_VARS = [
  "ARGYLE_WEBHOOK_SECRET",
  "ARGYLE_WEBHOOK_SECRET_PREVIOUS",
  "API_TOKEN_ADMIN",
  "API_TOKEN_ADMIN_PREVIOUS",
  "API_TOKEN_READ",
  "API_TOKEN_READ_PREVIOUS",
  "API_TOKEN",
  "CONSOLE_ACCESS_TEAM",
  "CONSOLE_ACCESS_AUD",
  "MAX_BODY_BYTES",
  "ARGYLE_SOURCE_IPS",
] as const;

/** The API tokens: setting any of them replaces both dev defaults. */
const API_TOKEN_VARS = ["API_TOKEN_ADMIN", "API_TOKEN_READ", "API_TOKEN"] as const;

/** Consumer vars and secrets passed through from the environment when set. */
const CONSUMER_VARS = [
  "ARGYLE_API_URL",
  "ARGYLE_API_KEY_ID",
  "ARGYLE_API_KEY_SECRET",
  "ARGYLE_MAX_CONCURRENCY",
  "MAX_SUBREQUESTS",
  "ARGYLE_TIMEOUT_MS",
  "ARGYLE_PAGE_SIZE",
  "RETRY_BASE_SECONDS",
  "RETRY_MAX_SECONDS",
  "AUTH_RETRY_SECONDS",
  "EVENT_RETENTION_DAYS",
  "MAX_PAGES_PER_INVOCATION",
  "GIG_RETENTION_DAYS",
  "RECONCILE_DAYS",
  "ALERT_WEBHOOK_URL",
  "ALERT_WEBHOOK_FORMAT",
  "ALERT_WEBHOOK_SECRET",
  "ALERT_CHECKS",
  "ALERT_BACKLOG_MINUTES",
  "ALERT_BACKFILL_STALL_MINUTES",
  "ALERT_INVALID_WEBHOOKS",
  "ALERT_SIGNATURE_FAILURES",
  "ALERT_DRIFT_GIGS",
  "ALERT_NO_WEBHOOK_HOURS",
] as const;

export interface DevConfig {
  port: number;
  /** Null when ARGYLE_API_URL points elsewhere: then no local Argyle is started. */
  localArgylePort: number | null;
  /** The terminal alert sink's port; null when ALERT_WEBHOOK_URL sends alerts elsewhere. */
  alertSinkPort: number | null;
  /** GIG_SHARDS: gig shards to run; undefined = the shards in wrangler.toml (2). */
  shards: number | undefined;
  fresh: boolean;
  resetOnly: boolean;
  receiverVars: Record<string, string>;
  consumerVars: Record<string, string>;
}

export function devConfig(argv: readonly string[], env: Record<string, string | undefined>): DevConfig {
  const unknown = argv.filter((a) => a !== "--fresh" && a !== "--reset-only");
  if (unknown.length > 0) throw new Error(`unknown option ${unknown[0]}; use --fresh to start from an empty database`);
  const pick = (names: readonly string[]) =>
    Object.fromEntries(names.flatMap((n) => (env[n] !== undefined && env[n] !== "" ? [[n, env[n] as string]] : [])));
  const external = Boolean(env.ARGYLE_API_URL);
  const localArgylePort = external
    ? null
    : port(env.LOCAL_ARGYLE_PORT ?? DEV_DEFAULTS.LOCAL_ARGYLE_PORT, "LOCAL_ARGYLE_PORT");
  const alertSinkPort = env.ALERT_WEBHOOK_URL
    ? null
    : port(env.ALERT_SINK_PORT ?? DEV_DEFAULTS.ALERT_SINK_PORT, "ALERT_SINK_PORT");
  return {
    port: port(env.PORT ?? DEV_DEFAULTS.PORT, "PORT"),
    localArgylePort,
    alertSinkPort,
    shards: parseGigShards(env.GIG_SHARDS),
    fresh: argv.includes("--fresh"),
    resetOnly: argv.includes("--reset-only"),
    receiverVars: {
      ARGYLE_WEBHOOK_SECRET: DEV_DEFAULTS.ARGYLE_WEBHOOK_SECRET,
      // Any token set in the environment replaces the dev pair, so only the tokens asked for work.
      ...(Object.keys(pick(API_TOKEN_VARS)).length > 0
        ? {}
        : { API_TOKEN_ADMIN: DEV_DEFAULTS.API_TOKEN_ADMIN, API_TOKEN_READ: DEV_DEFAULTS.API_TOKEN_READ }),
      ...pick(RECEIVER_VARS),
    },
    consumerVars: {
      ARGYLE_API_KEY_ID: DEV_DEFAULTS.ARGYLE_API_KEY_ID,
      ARGYLE_API_KEY_SECRET: DEV_DEFAULTS.ARGYLE_API_KEY_SECRET,
      ...(localArgylePort !== null ? { ARGYLE_API_URL: `http://127.0.0.1:${localArgylePort}/v2` } : {}),
      // Alerts print in the terminal unless they are sent elsewhere.
      ...(alertSinkPort !== null ? { ALERT_WEBHOOK_URL: `http://127.0.0.1:${alertSinkPort}/alerts` } : {}),
      ...pick(CONSUMER_VARS),
    },
  };
}

function port(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name} must be a port number, got "${value}"`);
  return n;
}
