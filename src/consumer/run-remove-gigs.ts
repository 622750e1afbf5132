/**
 * remove_gigs: tombstone the named gigs, without asking Argyle. The removal is dated by the
 * webhook's arrival, so a fetch that saw the gig alive after that still wins.
 * @module
 */
import type { RemoveGigsJob } from "../domain/jobs.ts";
import { tombstoneStatements } from "../domain/storage/gigs.ts";
import { commit } from "./commit.ts";
import { emptyStats, type JobContext, type Outcome } from "./job-context.ts";

export async function runRemoveGigs(job: RemoveGigsJob, ctx: JobContext): Promise<Outcome> {
  const stats = emptyStats();
  if (!ctx.budget.take(1)) return { type: "ack", continuation: job, note: "deferred: subrequest budget spent", stats };
  const syncedMs = Date.parse(job.received_at);
  const removals = job.ids.map((id) => ({ id, syncedMs }));
  stats.removed = removals.length;
  return commit(ctx, job, tombstoneStatements(ctx.db, removals, job.account, job.user), { type: "ack", stats }, false);
}
