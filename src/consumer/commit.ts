/**
 * The end of every job: one D1 transaction on the account's shard holding the job's writes plus
 * its bookkeeping (the account's summary), the attempt log in the catalog, and the choice of retry
 * delay for failures.
 * @module
 */
import type { ArgyleError } from "../domain/argyle-client.ts";
import { authRetryDelaySeconds, backoffSeconds, rateLimitDelaySeconds } from "../domain/backoff.ts";
import { describeError } from "../domain/errors.ts";
import type { Job } from "../domain/jobs.ts";
import { liftRetentionStatement } from "../domain/lifecycle/purged.ts";
import { type AccountWriteState, accountWriteStateSql, FENCED_RETRY_SECONDS } from "../domain/shards/fences.ts";
import { backfillRetryStatement, touchAccountStatement } from "../domain/storage/accounts.ts";
import { clearAttemptsStatement, recordAttemptStatement } from "../domain/storage/job-failures.ts";
import {
  continuationId,
  emptyStats,
  type FailureReason,
  type JobContext,
  type JobStats,
  type Outcome,
} from "./job-context.ts";
import { forgetHome } from "./resolve-home.ts";

/**
 * The retry a set of failed requests calls for, or null if every failure is permanent. An auth
 * failure outranks a rate limit, which outranks a transient failure: the slowest retry wins.
 */
export function retryFor(
  errors: readonly ArgyleError[],
  ctx: JobContext,
): { delaySeconds: number; reason: FailureReason; error: string } | null {
  const first = (kind: ArgyleError["kind"]) => errors.find((e) => e.kind === kind);
  const auth = first("auth");
  if (auth) return { delaySeconds: authRetryDelaySeconds(ctx.config.backoff), reason: "auth", error: auth.message };
  const limited = first("rate_limited");
  if (limited) {
    const retryAfter = Math.max(...errors.map((e) => e.retryAfterSeconds ?? -1));
    const delaySeconds = rateLimitDelaySeconds(
      ctx.attempts,
      retryAfter >= 0 ? retryAfter : undefined,
      ctx.config.backoff,
    );
    return { delaySeconds, reason: "rate_limited", error: limited.message };
  }
  const transient = first("transient");
  if (transient) {
    return {
      delaySeconds: backoffSeconds(ctx.attempts, ctx.config.backoff),
      reason: "transient",
      error: transient.message,
    };
  }
  return null;
}

/** A retry after D1 itself failed. */
export function d1Retry(error: unknown, ctx: JobContext, stats: JobStats): Outcome {
  return {
    type: "retry",
    delaySeconds: backoffSeconds(ctx.attempts, ctx.config.backoff),
    reason: "d1",
    error: describeError(error),
    stats,
  };
}

/**
 * Commits `statements` with the job's bookkeeping in one batch on the account's shard (one
 * subrequest, reserved by the caller) and returns `outcome`, or a retry if D1 failed, in which
 * case nothing was written. `settle`, if given, picks the final outcome from the statements'
 * results (e.g. a follow-up that depends on a count read in the same transaction); it must keep
 * `outcome`'s failure fields, since the bookkeeping was written for them.
 *
 * The attempt log lives in the catalog (the dead-letter consumer and the backlog alert read it
 * there): it is written after the shard's batch, and only when there is something to log (a
 * failure, or a success after failures), so a healthy job costs one subrequest as before.
 */
export async function commit(
  ctx: JobContext,
  job: Job,
  statements: D1PreparedStatement[],
  outcome: Outcome,
  argyleAnswered: boolean,
  settle?: (results: D1Result[]) => Outcome,
): Promise<Outcome> {
  const nowIso = new Date(ctx.now()).toISOString();
  const failed = outcome.type === "retry" ? outcome : outcome.deadLetter;
  const bookkeeping = [
    touchAccountStatement(ctx.db, {
      account: job.account,
      user: job.user,
      // Cron and redrive jobs carry no news from Argyle about the account.
      availableCount: job.origin === "webhook" ? job.available_count : null,
      webhookAt: job.origin === "webhook" ? job.received_at : null,
      fetchedAt: argyleAnswered ? nowIso : null,
      error: failed ? `${failed.reason}: ${failed.error}` : null,
    }),
  ];
  const attemptLog: D1PreparedStatement[] = [];
  if (outcome.type === "retry") {
    attemptLog.push(recordAttemptStatement(ctx.catalog, job.job_id, ctx.attempts, outcome.reason, outcome.error));
    if (job.kind === "backfill") {
      // The pass is alive, only waiting: the cron must not start a second walker meanwhile.
      const dueMs = ctx.now() + outcome.delaySeconds * 1000;
      bookkeeping.push(backfillRetryStatement(ctx.db, job.account, job.pass ?? job.job_id, dueMs));
    }
  } else {
    const delay = outcome.continuationDelaySeconds;
    if (delay && job.kind === "backfill") {
      bookkeeping.push(backfillRetryStatement(ctx.db, job.account, job.pass ?? job.job_id, ctx.now() + delay * 1000));
    }
    if (outcome.deadLetter) {
      const { job: dead, reason, error } = outcome.deadLetter;
      attemptLog.push(recordAttemptStatement(ctx.catalog, dead.job_id, ctx.attempts, reason, error));
    }
    if (ctx.attempts > 1) attemptLog.push(clearAttemptsStatement(ctx.catalog, job.job_id));
  }
  // Last, in the same transaction: whether the account is purged, or fenced because a move took
  // it away from this shard; either way every write above was a no-op (they check both).
  const stateCheck = ctx.db.prepare(accountWriteStateSql).bind(job.account);
  let results: D1Result<AccountWriteState>[];
  try {
    const lift = liftRetentionStatement(ctx.db, job.account, job.origin === "webhook" ? job.received_at : null);
    results = await ctx.db.batch<AccountWriteState>([lift, ...statements, ...bookkeeping, stateCheck]);
  } catch (error) {
    return d1Retry(error, ctx, outcome.stats);
  }
  const state = results.at(-1)?.results[0];
  if ((results[0]?.meta.changes ?? 0) > 0 && ctx.db !== ctx.catalog) {
    // A retention purge's marker was lifted on the shard (new activity at Argyle): lift the
    // catalog's record too, so the account's failures and reads are no longer hidden. Rare: once
    // per account coming back after retention.
    ctx.budget.take();
    await liftRetentionStatement(ctx.catalog, job.account, job.origin === "webhook" ? job.received_at : null)
      .run()
      .catch(() => undefined);
  }
  if (state?.purged) {
    return {
      type: "ack",
      note: "account purged: stored nothing",
      stats: { ...outcome.stats, stored: 0, removed: 0 },
    };
  }
  if (state?.fenced) return deferFenced(ctx, job);
  if (attemptLog.length > 0) {
    ctx.budget.take();
    try {
      await ctx.catalog.batch(attemptLog);
    } catch (error) {
      // The shard's writes stand (a redelivery finds them fresh); the log must not go stale, or a
      // finished job would keep the backlog alert open: run the job again.
      return d1Retry(error, ctx, outcome.stats);
    }
  }
  return settle ? settle(results.slice(1, 1 + statements.length)) : outcome;
}

/**
 * The answer for a job that met its account's fence: it stored nothing on this shard, because a
 * move took the account away (or is copying it). The same work runs again after a pause, looking
 * the account up afresh: by then the directory names the new home.
 */
export function deferFenced(ctx: JobContext, job: Job): Outcome {
  forgetHome(job.account);
  return {
    type: "ack",
    continuation: { ...job, job_id: continuationId(job.job_id) } as Job,
    continuationDelaySeconds: FENCED_RETRY_SECONDS,
    note: `account is moving off ${ctx.shard}: deferred`,
    stats: emptyStats(),
  };
}
