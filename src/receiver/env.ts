/**
 * The receiver Worker's bindings, vars and secrets (see wrangler.toml and the README's
 * configuration table). Secrets are optional in the type because an unset secret is undefined
 * at runtime, and the code must fail closed when one is missing.
 * @module
 */
import type { Job } from "../domain/jobs.ts";

export interface ReceiverEnv {
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
  /** Secret: the read API's token. Without it the read API answers 503. */
  API_TOKEN?: string;
}

export type ReceiverBindings = { Bindings: ReceiverEnv };
