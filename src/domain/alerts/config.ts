/**
 * The watchdog's settings, from the consumer's vars and secrets, with defaults. A malformed value
 * throws (a deployment mistake, not something to guess around); the cron logs it and carries on.
 * @module
 */

export type AlertFormat = "slack" | "json";

/** The vars and secrets the watchdog reads (a subset of the consumer's env). */
export interface AlertEnv {
  ALERT_WEBHOOK_URL?: string;
  ALERT_WEBHOOK_FORMAT?: string;
  ALERT_WEBHOOK_SECRET?: string;
  ALERT_CHECKS?: string;
  ALERT_BACKLOG_MINUTES?: string;
  ALERT_BACKFILL_STALL_MINUTES?: string;
  ALERT_INVALID_WEBHOOKS?: string;
  ALERT_SIGNATURE_FAILURES?: string;
  ALERT_DRIFT_GIGS?: string;
  ALERT_NO_WEBHOOK_HOURS?: string;
  RETRY_MAX_SECONDS?: string;
  AUTH_RETRY_SECONDS?: string;
}

export interface AlertConfig {
  webhookUrl: string | null;
  format: AlertFormat;
  secret: string | null;
  /** Consecutive checks a condition must hold to open an alert, and be clear to resolve it. */
  checks: number;
  backlogMs: number;
  backfillStallMs: number;
  /** Invalid webhooks in the last hour that open the alert. */
  invalidWebhooks: number;
  /** Rejected signatures in the last SIGNATURE_WINDOW_MS that open the alert. */
  signatureFailures: number;
  /** Gigs out of step with Argyle (accounts.drift_found) above which an account alerts. */
  driftGigs: number;
  /** Hours without any webhook (while accounts exist) that open the alert; 0 = off. */
  noWebhookMs: number;
  /**
   * How long a retrying job's attempt log stays "live": twice the longest retry delay it can be
   * waiting out, plus a margin. An older row belongs to a message that is gone (expired), which
   * the backlog and auth rules must not count for ever.
   */
  retryLiveMs: number;
  /** The auth rule's window: a refused job retries every AUTH_RETRY_SECONDS, so two of those. */
  authLiveMs: number;
}

export const SIGNATURE_WINDOW_MS = 15 * 60_000;
const MINUTE = 60_000;

export function readAlertConfig(env: AlertEnv): AlertConfig {
  const url = env.ALERT_WEBHOOK_URL?.trim() || null;
  if (url !== null && !/^https?:\/\//i.test(url)) throw new Error("ALERT_WEBHOOK_URL must be an http(s) URL");
  if (url !== null && !URL.canParse(url)) throw new Error("ALERT_WEBHOOK_URL must be an absolute URL");
  const format = env.ALERT_WEBHOOK_FORMAT?.trim() || "slack";
  if (format !== "slack" && format !== "json") throw new Error('ALERT_WEBHOOK_FORMAT must be "slack" or "json"');
  const secret = env.ALERT_WEBHOOK_SECRET || null;
  if (format === "json" && url !== null && secret === null) {
    throw new Error("ALERT_WEBHOOK_FORMAT=json needs ALERT_WEBHOOK_SECRET to sign its notifications");
  }
  const retryMax = integer(env, "RETRY_MAX_SECONDS", 1800, 0, 43_200);
  const authRetry = integer(env, "AUTH_RETRY_SECONDS", 600, 60, 43_200);
  return {
    webhookUrl: url,
    format,
    secret,
    checks: integer(env, "ALERT_CHECKS", 3, 1, 60),
    backlogMs: integer(env, "ALERT_BACKLOG_MINUTES", 30, 1, 10_080) * MINUTE,
    backfillStallMs: integer(env, "ALERT_BACKFILL_STALL_MINUTES", 30, 1, 10_080) * MINUTE,
    invalidWebhooks: integer(env, "ALERT_INVALID_WEBHOOKS", 1, 1, 1_000_000),
    signatureFailures: integer(env, "ALERT_SIGNATURE_FAILURES", 20, 1, 1_000_000),
    driftGigs: integer(env, "ALERT_DRIFT_GIGS", 0, 0, 1_000_000),
    noWebhookMs: integer(env, "ALERT_NO_WEBHOOK_HOURS", 0, 0, 8_760) * 60 * MINUTE,
    retryLiveMs: 2 * Math.max(retryMax, authRetry) * 1000 + 5 * MINUTE,
    authLiveMs: 2 * authRetry * 1000 + MINUTE,
  };
}

type NumericVar =
  | "ALERT_CHECKS"
  | "ALERT_BACKLOG_MINUTES"
  | "ALERT_BACKFILL_STALL_MINUTES"
  | "ALERT_INVALID_WEBHOOKS"
  | "ALERT_SIGNATURE_FAILURES"
  | "ALERT_DRIFT_GIGS"
  | "ALERT_NO_WEBHOOK_HOURS"
  | "RETRY_MAX_SECONDS"
  | "AUTH_RETRY_SECONDS";

function integer(env: AlertEnv, name: NumericVar, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw.slice(0, 40)}"`);
  }
  return value;
}
