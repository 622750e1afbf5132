/**
 * A job whose database (its shard, or the catalog) answered overloaded or reset is not failed for
 * good. Each such retry is noted in the catalog's attempt log (reason `d1`); when the queue's own
 * retries run out and the job reaches the dead-letter queue, it goes back on the jobs queue on the
 * dead-letter ladder's delays instead of into `failures`, for as long as D1_REQUEUE_WINDOW_MS since
 * its first failure. Only past that is it recorded as a failure (reason `d1`, redrivable like any
 * transient one). Other shards' jobs are untouched throughout: each message retries on its own.
 * @module
 */
import { describeError } from "../domain/errors.ts";
import type { Job } from "../domain/jobs.ts";
import { logInfo, logWarn } from "../domain/log.ts";
import { recordAttemptStatement } from "../domain/storage/job-failures.ts";
import { recordRetrySeconds } from "./dead-letter-retry.ts";

/**
 * How long a job failing on D1 keeps being put back on the queue: 16 hours, as long as the
 * dead-letter ladder covers a D1 outage for recording (dead-letter-retry.ts). An overload lasts
 * seconds to minutes; one lasting this long is an outage an operator must see in `failures`.
 */
export const D1_REQUEUE_WINDOW_MS = 16 * 3_600_000;

/** Notes a retry caused by D1 in the catalog's attempt log. Best effort: the catalog may be the one failing. */
export async function noteD1Retry(catalog: D1Database, job: Job, attempts: number, error: string): Promise<void> {
  try {
    await recordAttemptStatement(catalog, job.job_id, attempts, "d1", error).run();
  } catch (cause) {
    logWarn("could not note a D1 retry in the attempt log", { job_id: job.job_id, error: describeError(cause) });
  }
}

/**
 * For a dead-lettered job whose last failure was D1's: puts it back on the jobs queue (delayed on
 * the dead-letter ladder, longer the longer it has been failing) and returns true, unless it has
 * been failing for longer than D1_REQUEUE_WINDOW_MS. Throws if the catalog or the queue fails:
 * the dead letter is then retried, never dropped.
 */
export async function requeueD1DeadLetter(
  catalog: D1Database,
  jobs: Queue<Job>,
  job: Job,
  nowMs: number,
): Promise<boolean> {
  const log = await catalog
    .prepare("SELECT reason, first_failed_ms FROM job_attempts WHERE job_id = ?1")
    .bind(job.job_id)
    .first<{ reason: string; first_failed_ms: number | null }>();
  if (log?.reason !== "d1") return false;
  const failingMs = nowMs - (log.first_failed_ms ?? nowMs);
  if (failingMs >= D1_REQUEUE_WINDOW_MS) return false;
  const delaySeconds = recordRetrySeconds(Math.max(1, Math.ceil(failingMs / 3_600_000)));
  await jobs.send(job, { contentType: "json", delaySeconds });
  logInfo("job failing on D1 put back on the queue", {
    job_id: job.job_id,
    kind: job.kind,
    account: job.account,
    failing_minutes: Math.round(failingMs / 60_000),
    delay_seconds: delaySeconds,
  });
  return true;
}
