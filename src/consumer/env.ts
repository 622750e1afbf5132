/**
 * The consumer Worker's bindings, vars and secrets (see wrangler.consumer.toml and the README's
 * configuration table). It alone holds Argyle API keys; it has no public route.
 * @module
 */
import type { Job } from "../domain/jobs.ts";
import type { ShardEnv } from "../domain/shards/bindings.ts";

/** DB is the catalog; the gig shards (SHARD_1, SHARD_2, …) come from ShardEnv, found by name. */
export interface ConsumerEnv extends ShardEnv {
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
  /** Listing pages per invocation; default 1 with MAX_SUBREQUESTS ≤ 50 (Free plan), else unbounded. */
  MAX_PAGES_PER_INVOCATION?: string;
  /** First retry delay in seconds; doubles per attempt. Default 10. */
  RETRY_BASE_SECONDS?: string;
  /** Longest retry delay in seconds. Default 1800. */
  RETRY_MAX_SECONDS?: string;
  /** Retry delay after Argyle refuses the API key, in seconds (at least 60). Default 600. */
  AUTH_RETRY_SECONDS?: string;
  /** Days to keep events and raw bodies. Default 30. */
  EVENT_RETENTION_DAYS?: string;
  /** Secret: where alert notifications go (a Slack incoming-webhook URL, or any HTTPS endpoint). Unset: none sent. */
  ALERT_WEBHOOK_URL?: string;
  /** `slack` (default) or `json` (signed with ALERT_WEBHOOK_SECRET). */
  ALERT_WEBHOOK_FORMAT?: string;
  /** Secret: HMAC-SHA256 key of `json` notifications. */
  ALERT_WEBHOOK_SECRET?: string;
  /** Consecutive checks a condition must hold to open an alert, and be clear to resolve it. Default 3. */
  ALERT_CHECKS?: string;
  /** Age of the oldest unfinished work that opens the backlog alert, in minutes. Default 30. */
  ALERT_BACKLOG_MINUTES?: string;
  /** Minutes without backfill progress that open the stalled-backfill alert. Default 30. */
  ALERT_BACKFILL_STALL_MINUTES?: string;
  /** Invalid webhooks in the last hour that open the alert. Default 1. */
  ALERT_INVALID_WEBHOOKS?: string;
  /** Refused webhook signatures in 15 minutes that open the alert. Default 20. */
  ALERT_SIGNATURE_FAILURES?: string;
  /** Gigs out of step with Argyle per account above which the drift alert opens. Default 0. */
  ALERT_DRIFT_GIGS?: string;
  /** Hours without any webhook (while accounts exist) that open the alert; 0 = off (default). */
  ALERT_NO_WEBHOOK_HOURS?: string;
  /** Days to keep gigs (by start) and accounts (by last webhook); unset = forever. */
  GIG_RETENTION_DAYS?: string;
  /** Every account with gigs is listed again in full at least this often, in days. Default 7. */
  RECONCILE_DAYS?: string;
  /** Secret: Argyle API key id (HTTP Basic username). */
  ARGYLE_API_KEY_ID?: string;
  /** Secret: Argyle API key secret (HTTP Basic password). */
  ARGYLE_API_KEY_SECRET?: string;
}
