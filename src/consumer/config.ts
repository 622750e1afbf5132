/**
 * The consumer's settings, parsed from its vars and secrets with defaults. A malformed value is
 * a deployment mistake: it throws, so the batch is retried (and alarms) instead of running with
 * a guess.
 * @module
 */

import { argyleApiUrlProblem } from "../domain/argyle-api-url.ts";
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
  /**
   * Listing pages one invocation may walk (Infinity: only the subrequest budget bounds it). The
   * consumer's CPU, not its I/O, is what the Free plan's 10 ms per invocation limits: the bench
   * measures a page of 200 gigs at about 9 ms, so on the Free plan's settings one page each.
   */
  maxPagesPerInvocation: number;
  backoff: BackoffOptions;
  retentionDays: number;
  /** Days a gig (by start) and an account (by last webhook) are kept; null = forever. */
  gigRetentionDays: number | null;
  /** Every account with gigs is listed again in full at least this often. */
  reconcileDays: number;
}

/**
 * The Free plan's subrequests per invocation, MAX_SUBREQUESTS' default. A consumer configured
 * within it is taken to run on the Free plan, whose 10 ms of CPU per invocation also bounds how
 * many listing pages one invocation may walk (MAX_PAGES_PER_INVOCATION's default).
 */
export const FREE_PLAN_SUBREQUESTS = 50;

/** A var that is set but cannot be right: the consumer refuses to act on it. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export function readConfig(env: ConsumerEnv): ConsumerConfig {
  const keyId = env.ARGYLE_API_KEY_ID ?? "";
  const keySecret = env.ARGYLE_API_KEY_SECRET ?? "";
  const baseUrl = env.ARGYLE_API_URL?.trim() || DEFAULT_ARGYLE_API_URL;
  // Below 10 no job could make progress (a fetch needs a read, a write and a request).
  const maxSubrequests = integer(env, "MAX_SUBREQUESTS", FREE_PLAN_SUBREQUESTS, 10, 100_000);
  const problem = argyleApiUrlProblem(baseUrl);
  if (problem !== null) throw new ConfigError(problem);
  return {
    argyle: {
      baseUrl,
      keyId,
      keySecret,
      timeoutMs: integer(env, "ARGYLE_TIMEOUT_MS", 15_000, 100, 120_000),
    },
    hasCredentials: keyId !== "" && keySecret !== "",
    maxConcurrency: integer(env, "ARGYLE_MAX_CONCURRENCY", 6, 1, 100),
    maxSubrequests,
    pageSize: integer(env, "ARGYLE_PAGE_SIZE", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE),
    maxPagesPerInvocation: integer(
      env,
      "MAX_PAGES_PER_INVOCATION",
      maxSubrequests <= FREE_PLAN_SUBREQUESTS ? 1 : Number.POSITIVE_INFINITY,
      1,
      10_000,
    ),
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
  | "MAX_PAGES_PER_INVOCATION"
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
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw.slice(0, 40)}"`);
  }
  return value;
}
