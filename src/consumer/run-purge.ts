/**
 * purge_account: mark the account purged, then delete it chunk by chunk (domain/lifecycle/purge.ts)
 * while the invocation's budget lasts; the rest continues as a new message. Every chunk is its own
 * transaction, so a crash or redelivery resumes from what is left, and the cron revives a purge
 * whose message was lost.
 * @module
 */
import type { PurgeAccountJob } from "../domain/jobs.ts";
import { markPurgeStatement, type PurgeProgress, purgeChunkStatements } from "../domain/lifecycle/purge.ts";
import { logInfo } from "../domain/log.ts";
import { d1Retry } from "./commit.ts";
import { continuationId, emptyStats, type JobContext, type Outcome } from "./job-context.ts";

/**
 * Chunks per message: each holds D1 (single-threaded) for one bounded transaction; a short
 * message also lets other work interleave with a 50,000-gig purge.
 */
export const PURGE_CHUNKS_PER_MESSAGE = 10;

export async function runPurge(job: PurgeAccountJob, ctx: JobContext): Promise<Outcome> {
  const stats = emptyStats();
  let before: PurgeProgress | null = null;
  let last: PurgeProgress | null = null;
  for (let chunk = 0; chunk < PURGE_CHUNKS_PER_MESSAGE; chunk++) {
    if (!ctx.budget.take()) break;
    const nowMs = ctx.now();
    // The mark rides with the first chunk: from this transaction on, the account reads as deleted.
    const statements = [
      ...(chunk === 0
        ? [
            markPurgeStatement(
              ctx.db,
              { account: job.account, user: job.user, reason: job.reason, tokenRole: job.token_role ?? null },
              nowMs,
            ),
          ]
        : []),
      ...purgeChunkStatements(ctx.db, job.account, nowMs),
    ];
    try {
      const results = await ctx.db.batch<PurgeProgress>(statements);
      last = results.at(-1)?.results[0] ?? null;
    } catch (error) {
      // Chunks already committed stay committed; the redelivery carries on from what is left.
      return d1Retry(error, ctx, stats);
    }
    if (before === null) before = last;
    if (last === null || last.completed_at !== null) break;
  }
  if (last) {
    stats.removed = last.gigs_deleted;
    stats.stored = 0;
  }
  if (last?.completed_at) {
    logInfo("account purged", {
      account: job.account,
      reason: last.reason,
      gigs: last.gigs_deleted,
      events: last.events_deleted,
      bodies: last.bodies_deleted,
      failures: last.failures_deleted,
    });
    return { type: "ack", note: "purge complete", stats };
  }
  return {
    type: "ack",
    continuation: { ...job, job_id: continuationId(job.job_id) },
    note: `purge continues: ${last?.gigs_deleted ?? 0} gigs deleted so far`,
    stats,
  };
}
