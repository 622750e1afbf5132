/**
 * Retry delays for failed jobs. Pure, so the schedule is tested on its own: the queue's test
 * harness does not report the delay a message was retried with.
 * @module
 */

export interface BackoffOptions {
  /** Delay after the first failure, in seconds. */
  baseSeconds: number;
  /** Longest delay, in seconds. */
  maxSeconds: number;
  /** Delay after Argyle refused our credentials, in seconds. */
  authSeconds: number;
}

/** However it is configured, a refused key is never retried sooner than this. */
export const MIN_AUTH_RETRY_SECONDS = 60;

/** Cloudflare Queues accept retry delays up to 12 hours (some docs say 24; stay within both). */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;

/**
 * Exponential backoff with "equal jitter": the n-th attempt waits between half and all of
 * `base·2^(n-1)` (capped), so retries spread out without ever collapsing to zero.
 * `random` is injectable for tests.
 */
export function backoffSeconds(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const ceiling = Math.min(options.maxSeconds, options.baseSeconds * 2 ** exponent, MAX_QUEUE_DELAY_SECONDS);
  const half = ceiling / 2;
  return Math.max(0, Math.round(half + random() * half));
}

/**
 * The delay before retrying after a 429: Argyle's `Retry-After` when it sent one (never less
 * than a second), else the exponential schedule.
 */
export function rateLimitDelaySeconds(
  attempt: number,
  retryAfterSeconds: number | undefined,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  if (retryAfterSeconds !== undefined)
    return Math.min(Math.max(1, Math.ceil(retryAfterSeconds)), MAX_QUEUE_DELAY_SECONDS);
  return backoffSeconds(attempt, options, random);
}

/**
 * Argyle refused our credentials: a configuration problem no quick retry fixes. Wait
 * AUTH_RETRY_SECONDS (at least a minute), so a bad key never becomes a tight loop, yet work
 * resumes soon after the key is fixed.
 */
export function authRetryDelaySeconds(options: BackoffOptions): number {
  return Math.min(Math.max(options.authSeconds, MIN_AUTH_RETRY_SECONDS), MAX_QUEUE_DELAY_SECONDS);
}

/**
 * Parses a `Retry-After` header: delta-seconds or an HTTP date. Returns seconds from `now`
 * (0 for a date in the past), or undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value);
  // An HTTP date always names a day or month; this keeps Date.parse from reading "-5" as a year.
  if (!/[a-z]{3}/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
