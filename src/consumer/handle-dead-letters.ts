/**
 * The dead-letter queue's batch handler: turns each message that ran out of retries (or failed
 * permanently) into a row in `failures`, with the reason and last error from the attempt log,
 * narrowed to the gigs still missing. Nothing leaves this queue without a record, unless D1
 * stays down longer than the retries last (about 16 hours, inside the queue's retention: see
 * dead-letter-retry.ts).
 * @module
 */
import { describeError } from "../domain/errors.ts";
import { newTimeOrderedId } from "../domain/ids.ts";
import { type Job, jobGigIds, parseJob } from "../domain/jobs.ts";
import { logError, logInfo } from "../domain/log.ts";
import { shardDb } from "../domain/shards/bindings.ts";
import { lookupAccount } from "../domain/shards/directory.ts";
import { failBackfillStatement } from "../domain/storage/accounts.ts";
import { freshGigIds } from "../domain/storage/gigs.ts";
import { clearAttemptsStatement, insertFailureStatement, readAttempts } from "../domain/storage/job-failures.ts";
import { requeueD1DeadLetter } from "./d1-retries.ts";
import { recordRetrySeconds } from "./dead-letter-retry.ts";
import type { ConsumerEnv } from "./env.ts";

/** Largest job JSON kept for an unreadable message. */
const MAX_RAW_BYTES = 50_000;

export async function handleDeadLetters(batch: MessageBatch<unknown>, env: ConsumerEnv): Promise<void> {
  for (const message of batch.messages) {
    try {
      await recordFailure(env, message.body, message.attempts);
      message.ack();
    } catch (error) {
      logError("could not record a dead-lettered job; will retry", {
        message_id: message.id,
        error: describeError(error),
      });
      message.retry({ delaySeconds: recordRetrySeconds(message.attempts) });
    }
  }
}

async function recordFailure(env: ConsumerEnv, body: unknown, deliveries: number): Promise<void> {
  const db = env.DB;
  const now = Date.now();
  const parsed = parseJob(body);
  if (!parsed.success) {
    const raw = JSON.stringify(body ?? null).slice(0, MAX_RAW_BYTES);
    const id = newTimeOrderedId(now);
    await insertFailureStatement(db, {
      id,
      created_at: new Date(now).toISOString(),
      job_id: `invalid:${id}`,
      kind: "invalid",
      account: null,
      event_id: null,
      job: raw,
      gig_ids: 0,
      reason: "invalid_job",
      attempts: deliveries,
      last_error: parsed.issues
        .map((i) => i.message)
        .join("; ")
        .slice(0, 500),
    }).run();
    logError("unreadable job recorded as a failure", { failure_id: id });
    return;
  }
  // A job that ran out of retries because its database was overloaded goes back on the queue.
  if (await requeueD1DeadLetter(db, env.JOBS, parsed.output, now)) return;
  // The account's rows live in its home shard (none yet if no job ever placed it).
  const home = await lookupAccount(db, parsed.output.account);
  const shard = home ? shardDb(env, home.shard) : null;
  const job = await narrowToMissing(shard, parsed.output);
  if (job === null) {
    // Another job stored these gigs meanwhile: nothing is missing, nothing to report.
    await clearAttemptsStatement(db, parsed.output.job_id).run();
    logInfo("dead-lettered job needs nothing more", { job_id: parsed.output.job_id });
    return;
  }
  const log = await readAttempts(db, job.job_id);
  const failureId = newTimeOrderedId(now);
  const statements = [
    insertFailureStatement(db, {
      id: failureId,
      created_at: new Date(now).toISOString(),
      job_id: job.job_id,
      kind: job.kind,
      account: job.account,
      event_id: job.event_id,
      job: JSON.stringify(job),
      gig_ids: jobGigIds(job).length,
      reason: log?.reason ?? "retries_exhausted",
      attempts: log?.attempts ?? deliveries,
      last_error: log?.last_error ?? "no attempt was recorded: the consumer crashed or ran out of time",
    }),
    clearAttemptsStatement(db, job.job_id),
  ];
  // The shard's half first: if the catalog's half then fails, the redelivery does both again
  // (each is idempotent), while the other order could leave a recorded failure whose pass still
  // reads as running.
  if (job.kind === "backfill" && shard) await failBackfillStatement(shard, job.account, job.pass ?? job.job_id).run();
  await db.batch(statements);
  logError("job failed for good: recorded in failures", {
    failure_id: failureId,
    job_id: job.job_id,
    kind: job.kind,
    account: job.account,
    reason: log?.reason ?? "retries_exhausted",
  });
}

/** The job reduced to the gigs still not stored since its webhook; null if none are missing. */
async function narrowToMissing(shard: D1Database | null, job: Job): Promise<Job | null> {
  if (job.kind !== "fetch_gigs" && job.kind !== "remove_gigs") return job;
  if (!shard) return job;
  const fresh = await freshGigIds(shard, job.ids, Date.parse(job.received_at));
  const missing = job.ids.filter((id) => !fresh.has(id));
  return missing.length === 0 ? null : { ...job, ids: missing };
}
