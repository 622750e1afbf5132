/**
 * How long the dead-letter queue keeps trying to record a failure, against how long the queue
 * keeps a message. A dead letter is the only trace of work that failed for good: if its retries
 * outlasted the queue's retention, a long D1 outage would make it expire unseen. So the retry
 * delays of all `max_retries` (wrangler.consumer.toml) must sum to less than the retention set on
 * the queues (README, deploy step 3); test/node/dead-letter-retention.test.ts checks both files.
 * @module
 */

/**
 * Message retention of both queues, in seconds: one day, the most the Free plan allows (Paid
 * allows 14 days). Cloudflare's default (4 days on Paid) is not assumed: the deploy sets it.
 */
export const QUEUE_RETENTION_SECONDS = 86_400;

/** Longest wait between two attempts to record a dead letter. */
const MAX_RECORD_RETRY_SECONDS = 600;

/**
 * Delay before the next attempt to record a dead letter that D1 refused: a minute more per
 * attempt, up to ten. With the DLQ's 100 retries that is about 16 hours of D1 outage covered,
 * inside the one-day retention.
 */
export function recordRetrySeconds(attempts: number): number {
  return Math.min(MAX_RECORD_RETRY_SECONDS, 60 * attempts);
}

/**
 * The queue's `max_retries` (wrangler.consumer.toml): a message's last delivery is attempt 21.
 * test/node/dead-letter-retention.test.ts reads the same file.
 */
export const JOBS_MAX_RETRIES = 20;

/**
 * D1 retries are noted from this attempt on: only the last failure before the dead-letter queue
 * decides what it does, and earlier notes would cost every briefly-overloaded job a catalog write
 * (and a subrequest) for nothing.
 */
export const NOTE_D1_FROM_ATTEMPT = JOBS_MAX_RETRIES - 4;

/** Whether a D1 retry at `attempts` should be noted (see NOTE_D1_FROM_ATTEMPT). */
export function shouldNoteD1Retry(attempts: number): boolean {
  return attempts >= NOTE_D1_FROM_ATTEMPT;
}
