/**
 * The consumer Worker's bindings, vars and secrets (see wrangler.consumer.toml and the README's
 * configuration table). It alone holds Argyle API keys; it has no public route.
 * @module
 */
import type { Job } from "../domain/jobs.ts";

export interface ConsumerEnv {
  DB: D1Database;
  /** The jobs queue, for continuations and cron re-queues. */
  JOBS: Queue<Job>;
  /** The dead-letter queue, for work that fails permanently before its retries run out. */
  DEAD_LETTERS: Queue<unknown>;
  /** Argyle's API base. Default https://api.argyle.com/v2 (sandbox: https://api-sandbox.argyle.com/v2). */
  ARGYLE_API_URL?: string;
  /** Requests to Argyle in flight at once. Default 6 (Workers' simultaneous-connection limit). */
  ARGYLE_MAX_CONCURRENCY?: string;
  /** Subrequests (Argyle + D1 + Queue calls) per invocation. Default 50 (Free plan). */
  MAX_SUBREQUESTS?: string;
  /** Per-request timeout for Argyle, in milliseconds. Default 15000. */
  ARGYLE_TIMEOUT_MS?: string;
  /** Gigs per page when listing (Argyle allows 1..200). Default 200. */
  ARGYLE_PAGE_SIZE?: string;
  /** First retry delay in seconds; doubles per attempt. Default 10. */
  RETRY_BASE_SECONDS?: string;
  /** Longest retry delay in seconds. Default 1800. */
  RETRY_MAX_SECONDS?: string;
  /** Retry delay after Argyle refuses the API key, in seconds (at least 60). Default 600. */
  AUTH_RETRY_SECONDS?: string;
  /** Days to keep events and raw bodies. Default 30. */
  EVENT_RETENTION_DAYS?: string;
  /** Days to keep gigs (by start) and accounts (by last webhook); unset = forever. */
  GIG_RETENTION_DAYS?: string;
  /** Every account with gigs is listed again in full at least this often, in days. Default 7. */
  RECONCILE_DAYS?: string;
  /** Secret: Argyle API key id (HTTP Basic username). */
  ARGYLE_API_KEY_ID?: string;
  /** Secret: Argyle API key secret (HTTP Basic password). */
  ARGYLE_API_KEY_SECRET?: string;
}
