/**
 * The receiver Worker's bindings, vars and secrets (see wrangler.toml and the README's
 * configuration table). Secrets are optional in the type because an unset secret is undefined
 * at runtime, and the code must fail closed when one is missing.
 * @module
 */
import type { Job } from "../domain/jobs.ts";
import type { ShardEnv } from "../domain/shards/bindings.ts";
import type { ApiVariables } from "./api-auth.ts";

/** DB is the catalog; the gig shards (SHARD_1, SHARD_2, …) come from ShardEnv, found by name. */
export interface ReceiverEnv extends ShardEnv {
  DB: D1Database;
  JOBS: Queue<Job>;
  /** Largest webhook body accepted, in bytes. Default 1048576 (1 MiB); at most 1900000 (D1's row limit). */
  MAX_BODY_BYTES?: string;
  /** Comma-separated IPs/CIDRs allowed to POST webhooks; empty allows any source. */
  ARGYLE_SOURCE_IPS?: string;
  /** Secret: the Argyle subscription secret. Without it every webhook is refused. */
  ARGYLE_WEBHOOK_SECRET?: string;
  /** Secret: the previous subscription secret, still accepted during a rotation. */
  ARGYLE_WEBHOOK_SECRET_PREVIOUS?: string;
  /** Secret: grants /v2/* only (reading gigs). */
  API_TOKEN_READ?: string;
  /** Secret: the previous read token, still accepted while it is rotated. */
  API_TOKEN_READ_PREVIOUS?: string;
  /** Secret: grants /api/* (raw bodies, replay, redrive, delete) and /v2/*. */
  API_TOKEN_ADMIN?: string;
  /** Secret: the previous admin token, still accepted while it is rotated. */
  API_TOKEN_ADMIN_PREVIOUS?: string;
  /** Secret, deprecated: the old single token; still accepted as admin, with a warning. */
  API_TOKEN?: string;
  /** Cloudflare Access team name (`<team>.cloudflareaccess.com`): set with the AUD to guard /console by Access. */
  CONSOLE_ACCESS_TEAM?: string;
  /** The Access application's audience tag, checked in `Cf-Access-Jwt-Assertion`. */
  CONSOLE_ACCESS_AUD?: string;
}

export type ReceiverBindings = { Bindings: ReceiverEnv; Variables: ApiVariables };
