/**
 * move_account: runs the move's next steps (domain/shards/move.ts) while the invocation's budget
 * lasts; the rest continues as a new message, delayed through the grace period after the flip.
 * Every step checkpoints in the catalog, so a crash or redelivery resumes where the move stands,
 * and the cron revives a move whose message was lost (moves-cron.ts).
 * @module
 */
import type { MoveAccountJob } from "../domain/jobs.ts";
import { stepMove } from "../domain/shards/move.ts";
import { d1Retry } from "./commit.ts";
import { continuationId, emptyStats, type JobContext, type Outcome } from "./job-context.ts";

/** Steps per message at most (the subrequest budget and the page bound usually stop it first). */
export const MOVE_STEPS_PER_MESSAGE = 10;
/**
 * Subrequests the costliest step makes: the last verify page with the flip (read the move, A's
 * and B's pages, unfence B, the directory flip, fence A 'moved', unfence B again, checkpoint).
 */
export const MOVE_STEP_SUBREQUESTS = 8;

export async function runMove(job: MoveAccountJob, ctx: JobContext): Promise<Outcome> {
  const stats = emptyStats();
  const env = ctx.env;
  let note = "no budget left for a step";
  for (let n = 0; n < MOVE_STEPS_PER_MESSAGE; n++) {
    // A step handles at most a page of gigs (200 copied, or 2 × 200 compared), so it also counts
    // against the invocation's page bound: the CPU limit (Free plan: one page per invocation).
    if (ctx.pages.remaining < 1 || !ctx.budget.take(MOVE_STEP_SUBREQUESTS)) break;
    ctx.pages.take(1);
    let result: Awaited<ReturnType<typeof stepMove>>;
    try {
      result = await stepMove(env, job.account, job.move_id, ctx.now());
    } catch (error) {
      // Steps already checkpointed stay done; the redelivery resumes from the catalog.
      return d1Retry(error, ctx, stats);
    }
    if (result.type === "done" || result.type === "stale") return { type: "ack", note: result.note, stats };
    if (result.type === "wait") {
      return {
        type: "ack",
        continuation: { ...job, job_id: continuationId(job.job_id) },
        continuationDelaySeconds: Math.ceil(result.ms / 1000),
        note: "move flipped: cleanup waits for the grace period",
        stats,
      };
    }
    note = result.note;
  }
  return {
    type: "ack",
    continuation: { ...job, job_id: continuationId(job.job_id) },
    note: `move continues: ${note}`,
    stats,
  };
}
