/**
 * fetch_gigs: GET /gigs/{id} for each named gig that is not already fresh, store what Argyle
 * returns, tombstone what it says it no longer has (its own not-found answer; any other 404 is an
 * outage and retries).
 * @module
 */
import { ArgyleError, getGig } from "../domain/argyle-client.ts";
import { describeError } from "../domain/errors.ts";
import { type FetchGigsJob, IDS_PER_JOB } from "../domain/jobs.ts";
import { withinRetention } from "../domain/lifecycle/retention.ts";
import {
  freshGigIds,
  type ObservedGig,
  type Removal,
  tombstoneStatements,
  upsertGigStatements,
} from "../domain/storage/gigs.ts";
import { commit, d1Retry, retryFor } from "./commit.ts";
import {
  continuationId,
  emptyStats,
  type JobContext,
  type JobStats,
  type Outcome,
  retentionFloorMs,
} from "./job-context.ts";

export async function runFetchGigs(job: FetchGigsJob, ctx: JobContext): Promise<Outcome> {
  // Jobs from elsewhere than the receiver (a redriven failure, an older version) may name more
  // gigs than one invocation's budget is sized for: take a job's worth, continue with the rest.
  if (job.ids.length > IDS_PER_JOB) {
    const outcome = await runFetchGigs({ ...job, ids: job.ids.slice(0, IDS_PER_JOB) }, ctx);
    if (outcome.type === "retry") return outcome;
    const rest = job.ids.slice(IDS_PER_JOB);
    const pending = [...(outcome.continuation?.kind === "fetch_gigs" ? outcome.continuation.ids : []), ...rest];
    return { ...outcome, continuation: { ...job, job_id: continuationId(job.job_id), ids: pending } };
  }
  const stats = emptyStats();
  // A freshness read, the final write and at least one request, or wait for a fresh invocation.
  if (ctx.budget.remaining < 3)
    return { type: "ack", continuation: job, note: "deferred: subrequest budget spent", stats };
  ctx.budget.take(2);

  let fresh: Set<string>;
  try {
    // A gig whose state we learned after this webhook arrived already reflects its change:
    // duplicate and late webhooks cost no API call.
    fresh = await freshGigIds(ctx.db, job.ids, Date.parse(job.received_at));
  } catch (error) {
    return d1Retry(error, ctx, stats);
  }
  stats.skippedFresh = fresh.size;

  const result = await fetchAll(
    job.ids.filter((id) => !fresh.has(id)),
    ctx,
    stats,
  );
  const statements = [
    ...upsertGigStatements(ctx.db, withinRetention(result.fetched, retentionFloorMs(ctx)), job.user),
    ...tombstoneStatements(ctx.db, result.gone, job.account, job.user),
  ];
  const retry = retryFor(
    result.failures.map((f) => f.error),
    ctx,
  );
  const permanent = result.failures.filter((f) => f.error.kind === "permanent");
  const outcome: Outcome = retry
    ? { type: "retry", ...retry, stats }
    : {
        type: "ack",
        stats,
        continuation:
          result.notTried.length > 0 ? { ...job, job_id: continuationId(job.job_id), ids: result.notTried } : undefined,
        deadLetter:
          permanent.length > 0
            ? {
                job: { ...job, job_id: `${job.job_id}~dead`, ids: permanent.map((f) => f.id) },
                reason: "permanent",
                error: permanent[0]?.error.message ?? "",
              }
            : undefined,
      };
  return commit(ctx, job, statements, outcome, result.fetched.length + result.gone.length > 0);
}

export interface FetchResult {
  fetched: ObservedGig[];
  gone: Removal[];
  failures: { id: string; error: ArgyleError }[];
  /** IDs not requested: the budget ran out, or a rate limit / auth failure said to stop. */
  notTried: string[];
}

/**
 * GET /gigs/{id} for each of `ids` within the budget, up to `ctx.limit` at once. Only Argyle's own
 * not-found answer puts a gig in `gone`; every other failure is in `failures`.
 */
export async function fetchAll(ids: readonly string[], ctx: JobContext, stats: JobStats): Promise<FetchResult> {
  const result: FetchResult = { fetched: [], gone: [], failures: [], notTried: [] };
  // After a 429 or a refused key, further requests now would only make things worse.
  let stopped = false;
  await Promise.all(
    ids.map(async (id) => {
      if (!ctx.budget.take()) {
        result.notTried.push(id);
        return;
      }
      await ctx.limit(async () => {
        if (stopped) {
          ctx.budget.refund();
          result.notTried.push(id);
          return;
        }
        const syncedMs = ctx.now();
        stats.requests++;
        try {
          result.fetched.push({ ...(await getGig(ctx.config.argyle, id)), syncedMs });
          stats.stored++;
        } catch (caught) {
          const error = caught instanceof ArgyleError ? caught : new ArgyleError("transient", describeError(caught));
          if (error.kind === "not_found") {
            result.gone.push({ id, syncedMs });
            stats.removed++;
            return;
          }
          stats.failed++;
          result.failures.push({ id, error });
          if (error.kind === "auth" || error.kind === "rate_limited") stopped = true;
        }
      });
    }),
  );
  return result;
}
