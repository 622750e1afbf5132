/**
 * Dispatches one validated job to its runner.
 * @module
 */
import { authRetryDelaySeconds } from "../domain/backoff.ts";
import type { Job } from "../domain/jobs.ts";
import { commit } from "./commit.ts";
import { emptyStats, type JobContext, type Outcome } from "./job-context.ts";
import { runFetchGigs } from "./run-fetch-gigs.ts";
import { runBackfill, runListWindow } from "./run-listing.ts";
import { runRemoveGigs } from "./run-remove-gigs.ts";

export function runJob(job: Job, ctx: JobContext): Promise<Outcome> {
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
