/**
 * Dispatches one validated job to its runner, on the shard the directory names for its account.
 * @module
 */
import { authRetryDelaySeconds } from "../domain/backoff.ts";
import type { Job } from "../domain/jobs.ts";
import { logError } from "../domain/log.ts";
import { shardDb } from "../domain/shards/bindings.ts";
import { accountWriteState } from "../domain/shards/fences.ts";
import { commit, d1Retry, deferFenced } from "./commit.ts";
import { emptyStats, type JobContext, type Outcome } from "./job-context.ts";
import { NoBudgetError, NoOpenShardError, PurgedUnplacedError, resolveHome } from "./resolve-home.ts";
import { runFetchGigs } from "./run-fetch-gigs.ts";
import { runBackfill, runListWindow } from "./run-listing.ts";
import { runMove } from "./run-move.ts";
import { runPurge } from "./run-purge.ts";
import { runRemoveGigs } from "./run-remove-gigs.ts";

export async function runJob(job: Job, ctx: JobContext): Promise<Outcome> {
  if (job.kind === "purge_account") return runPurge(job, ctx);
  if (job.kind === "move_account") return runMove(job, ctx);
  let home: JobContext;
  try {
    const entry = await resolveHome(job, ctx);
    home = { ...ctx, db: shardDb(ctx.env, entry.shard), shard: entry.shard };
  } catch (error) {
    if (error instanceof PurgedUnplacedError) {
      return { type: "ack", note: "account purged: stored nothing", stats: emptyStats() };
    }
    if (error instanceof NoBudgetError) {
      return { type: "ack", continuation: job, note: "deferred: subrequest budget spent", stats: emptyStats() };
    }
    if (error instanceof NoOpenShardError) {
      // A configuration problem, not a fault: wait as for refused credentials, loudly.
      logError("no open gig shard: job waits", { job_id: job.job_id, account: job.account });
      return {
        type: "retry",
        delaySeconds: authRetryDelaySeconds(ctx.config.backoff),
        reason: "d1",
        error: error.message,
        stats: emptyStats(),
      };
    }
    return d1Retry(error, ctx, emptyStats());
  }
  // Work queued before its account was purged must not bring it back. Every write checks the
  // marker (and a move's fence) in its own statement, and commit() reports it in the job's log
  // line; a listing, which would walk every page for nothing, also checks first (one subrequest
  // of the many it costs).
  if (job.kind === "fetch_gigs" || job.kind === "remove_gigs") return runGigJob(job, home);
  if (!home.budget.take()) {
    return { type: "ack", continuation: job, note: "deferred: subrequest budget spent", stats: emptyStats() };
  }
  try {
    const receivedAt = job.origin === "webhook" ? job.received_at : null;
    const state = await accountWriteState(home.db, job.account, receivedAt, home.catalog);
    if (state.purged) return { type: "ack", note: "account purged: stored nothing", stats: emptyStats() };
    if (state.fenced) return deferFenced(home, job);
  } catch (error) {
    return d1Retry(error, home, emptyStats());
  }
  return runGigJob(job, home);
}

function runGigJob(job: Exclude<Job, { kind: "purge_account" | "move_account" }>, ctx: JobContext): Promise<Outcome> {
  if (job.kind !== "remove_gigs" && !ctx.config.hasCredentials) {
    // Recorded like Argyle's own 401 (attempt log, account's last_error), so the auth alert fires.
    return commit(
      ctx,
      job,
      [],
      {
        type: "retry",
        delaySeconds: authRetryDelaySeconds(ctx.config.backoff),
        reason: "auth",
        error: "ARGYLE_API_KEY_ID / ARGYLE_API_KEY_SECRET are not set on the consumer",
        stats: emptyStats(),
      },
      false,
    );
  }
  switch (job.kind) {
    case "fetch_gigs":
      return runFetchGigs(job, ctx);
    case "remove_gigs":
      return runRemoveGigs(job, ctx);
    case "list_window":
      return runListWindow(job, ctx);
    case "backfill":
      return runBackfill(job, ctx);
  }
}
