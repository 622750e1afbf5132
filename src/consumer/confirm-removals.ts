/**
 * The end of a backfill pass: the account's stored gigs the complete listing did not see are
 * confirmed with Argyle one by one (GET /v2/gigs/{id}) before anything is tombstoned. A listing
 * can miss a gig for reasons that say nothing about the gig (a page boundary shifting under a
 * concurrent change, a stale replica), and a tombstone is a claim the mirror cannot take back on
 * its own. So only Argyle's own not-found answer tombstones; a gig it still serves is stored,
 * alive; any other failure retries. Work beyond the invocation's budget continues as new
 * messages of the same pass, in id order.
 * @module
 */
import { type BackfillJob, IDS_PER_JOB } from "../domain/jobs.ts";
import { finishPassStatement, skippedStatement } from "../domain/lifecycle/reconcile.ts";
import { withinRetention } from "../domain/lifecycle/retention.ts";
import { tombstoneStatements, upsertGigStatements } from "../domain/storage/gigs.ts";
import { unseenGigIds } from "../domain/storage/reconcile.ts";
import { commit, d1Retry, retryFor } from "./commit.ts";
import { continuationId, type JobContext, type JobStats, type Outcome, retentionFloorMs } from "./job-context.ts";
import { fetchAll } from "./run-fetch-gigs.ts";

/** The candidate read, the final write and at least one request. */
const MIN_COST = 3;

/**
 * Confirms the next batch of unseen gigs of `job.pass` (which must be set). Acks with a
 * continuation while more may remain; nothing to confirm (or a pass that does not qualify: not
 * the account's current, complete pass) acks plainly.
 */
export async function confirmUnseenGigs(
  job: BackfillJob & { pass: string },
  ctx: JobContext,
  stats: JobStats,
): Promise<Outcome> {
  if (ctx.budget.remaining < MIN_COST) {
    return { type: "ack", continuation: job, note: "deferred: subrequest budget spent", stats };
  }
  ctx.budget.take(2);
  // Every candidate costs one request; the rest of the budget decides how many this message takes.
  // Where pages are bounded for CPU (Free plan), so are confirmations: at most a fetch_gigs
  // message's worth, which the bench measures well inside the Free plan's 10 ms.
  const cpuBound = Number.isFinite(ctx.config.maxPagesPerInvocation) ? IDS_PER_JOB : Number.POSITIVE_INFINITY;
  const limit = Math.min(ctx.budget.remaining, cpuBound);
  let ids: string[];
  try {
    ids = await unseenGigIds(ctx.db, job.account, job.pass, job.confirm_after ?? null, limit);
  } catch (error) {
    return d1Retry(error, ctx, stats);
  }
  if (ids.length === 0) {
    // Nothing (left) to confirm: the pass is over (stamps last_reconciled when it skipped nothing).
    try {
      await finishPassStatement(ctx.db, job.account, job.pass, ctx.now()).run();
    } catch (error) {
      return d1Retry(error, ctx, stats);
    }
    return { type: "ack", note: "pass reconciled", stats };
  }

  const result = await fetchAll(ids, ctx, stats);
  const statements = [
    // Nothing retention would delete again at once, as the listing and fetches store.
    ...upsertGigStatements(ctx.db, withinRetention(result.fetched, retentionFloorMs(ctx)), job.user),
    ...tombstoneStatements(ctx.db, result.gone, job.account, job.user),
  ];
  const retry = retryFor(
    result.failures.map((f) => f.error),
    ctx,
  );
  // Without a retry, every candidate was settled: stored, tombstoned, or failed for good (those
  // are dead-lettered as a fetch, so an operator sees them and the walk moves past them).
  const permanent = result.failures.filter((f) => f.error.kind === "permanent");
  const last = ids.at(-1) as string;
  // A gig that failed for good was not confirmed: counted as skipped, so the pass (in whichever
  // batch it failed) does not stamp last_reconciled_ms.
  if (!retry && permanent.length > 0)
    statements.push(skippedStatement(ctx.db, job.account, job.pass, permanent.length));
  // The last batch, settled, finishes the pass in the same write, after its tombstones (the drift
  // triggers count those first).
  if (!retry && ids.length < limit) {
    statements.push(finishPassStatement(ctx.db, job.account, job.pass, ctx.now()));
  }
  const outcome: Outcome = retry
    ? { type: "retry", ...retry, stats }
    : {
        type: "ack",
        stats,
        note: `confirmed ${ids.length} unseen gig(s)`,
        continuation:
          ids.length === limit
            ? { ...job, job_id: continuationId(job.job_id), cursor: null, confirm_after: last }
            : undefined,
        deadLetter:
          permanent.length > 0
            ? {
                job: {
                  v: job.v,
                  kind: "fetch_gigs",
                  job_id: `${job.job_id}~dead`,
                  event_id: job.event_id,
                  account: job.account,
                  user: job.user,
                  received_at: job.received_at,
                  origin: job.origin,
                  ids: permanent.map((f) => f.id),
                },
                reason: "permanent",
                error: permanent[0]?.error.message ?? "",
              }
            : undefined,
      };
  return commit(ctx, job, statements, outcome, result.fetched.length + result.gone.length > 0);
}
