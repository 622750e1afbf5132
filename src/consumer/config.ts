/**
 * The consumer's settings, parsed from its vars and secrets with defaults. A malformed value is
 * a deployment mistake: it throws, so the batch is retried (and alarms) instead of running with
 * a guess.
 * @module
 */
import { type ArgyleClientOptions, DEFAULT_ARGYLE_API_URL, MAX_PAGE_SIZE } from "../domain/argyle-client.ts";
import type { BackoffOptions } from "../domain/backoff.ts";
import type { ConsumerEnv } from "./env.ts";

export interface ConsumerConfig {
  argyle: ArgyleClientOptions;
  /** False when the API key is not configured: every job then fails as an auth problem. */
  hasCredentials: boolean;
  maxConcurrency: number;
  maxSubrequests: number;
  pageSize: number;
  backoff: BackoffOptions;
  retentionDays: number;
  /** Days a gig (by start) and an account (by last webhook) are kept; null = forever. */
  gigRetentionDays: number | null;
  /** Every account with gigs is listed again in full at least this often. */
  reconcileDays: number;
}

export function readConfig(env: ConsumerEnv): ConsumerConfig {
  const keyId = env.ARGYLE_API_KEY_ID ?? "";
  const keySecret = env.ARGYLE_API_KEY_SECRET ?? "";
  const baseUrl = env.ARGYLE_API_URL?.trim() || DEFAULT_ARGYLE_API_URL;
  if (!URL.canParse(baseUrl)) throw new Error("ARGYLE_API_URL must be an absolute URL");
  return {
    argyle: {
      baseUrl,
      keyId,
      keySecret,
      timeoutMs: integer(env, "ARGYLE_TIMEOUT_MS", 15_000, 100, 120_000),
    },
    hasCredentials: keyId !== "" && keySecret !== "",
    maxConcurrency: integer(env, "ARGYLE_MAX_CONCURRENCY", 6, 1, 100),
    // Below 10 no job could make progress (a fetch needs a read, a write and a request).
    maxSubrequests: integer(env, "MAX_SUBREQUESTS", 50, 10, 100_000),
    pageSize: integer(env, "ARGYLE_PAGE_SIZE", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE),
    backoff: {
      baseSeconds: integer(env, "RETRY_BASE_SECONDS", 10, 0, 43_200),
      maxSeconds: integer(env, "RETRY_MAX_SECONDS", 1800, 0, 43_200),
      authSeconds: integer(env, "AUTH_RETRY_SECONDS", 600, 60, 43_200),
    },
    retentionDays: integer(env, "EVENT_RETENTION_DAYS", 30, 1, 3650),
    gigRetentionDays: env.GIG_RETENTION_DAYS?.trim() ? integer(env, "GIG_RETENTION_DAYS", 0, 1, 36_500) : null,
    reconcileDays: integer(env, "RECONCILE_DAYS", 7, 1, 365),
  };
}

type NumericVar =
  | "ARGYLE_TIMEOUT_MS"
  | "ARGYLE_MAX_CONCURRENCY"
  | "MAX_SUBREQUESTS"
  | "ARGYLE_PAGE_SIZE"
  | "RETRY_BASE_SECONDS"
  | "RETRY_MAX_SECONDS"
  | "AUTH_RETRY_SECONDS"
  | "EVENT_RETENTION_DAYS"
  | "GIG_RETENTION_DAYS"
  | "RECONCILE_DAYS";

function integer(env: ConsumerEnv, name: NumericVar, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw.slice(0, 40)}"`);
  }
  return value;
}
