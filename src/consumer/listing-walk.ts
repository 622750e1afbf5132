/**
 * The listing walker shared by list_window and backfill: a per-page state machine. Each turn
 * takes the page in flight and ends in exactly one named transition:
 *
 * - `advanced`: the page is committed and the next one is already requested; walk on.
 * - `completed`: the last page (no `next`) is committed with the job's bookkeeping.
 * - `paused`: the invocation's budget is spent; this page is committed and a continuation
 *   message carries on from `next`.
 * - `argyle_failed`: the page request failed: retry, or dead-letter the rest of the walk.
 * - `looped`: Argyle's `next` is the page just listed; walking on would never end.
 * - `superseded`: the page's checkpoint did not apply (a newer pass took over): stop.
 * - `write_failed`: D1 refused the page's write: retry.
 *
 * While one page is written the next is fetched, so a walk is bound by Argyle's latency. After
 * pages were committed, a failure carries on as a new (delayed) message instead of a redelivery:
 * a long walk through a flaky Argyle then never runs out of retries while it advances.
 * @module
 */
import { ArgyleError, type GigPage, listGigsPage } from "../domain/argyle-client.ts";
import { describeError } from "../domain/errors.ts";
import type { BackfillJob, Job, ListWindowJob } from "../domain/jobs.ts";
import { withinRetention } from "../domain/lifecycle/retention.ts";
import { upsertGigStatements } from "../domain/storage/gigs.ts";
import { commit, d1Retry, retryFor } from "./commit.ts";
import { invalidGigStatements, unidentifiedItemStatements } from "./invalid-gigs.ts";
import { type JobContext, type JobStats, type Outcome, retentionFloorMs } from "./job-context.ts";

/** Each page costs one request and one write. */
export const PAGE_COST = 2;

/** Whether this invocation can still walk a page: subrequests for it, and CPU (its page count). */
export function canTakePage(ctx: JobContext): boolean {
  return ctx.budget.remaining >= PAGE_COST && ctx.pages.remaining >= 1;
}

/** Takes one page's subrequests and its place in the page count, or nothing. */
function takePage(ctx: JobContext): boolean {
  if (!canTakePage(ctx)) return false;
  ctx.budget.take(PAGE_COST);
  ctx.pages.take(1);
  return true;
}

/** What a page looks like to the checkpoint: where it was fetched from, where it leads, its counts. */
export interface PageSummary {
  from: string | null;
  next: string | null;
  gigs: number;
  skipped: number;
}

/** The part of a walk that differs between list_window and backfill. */
export interface WalkPlan<J extends ListWindowJob | BackfillJob> {
  firstPage: () => Promise<GigPage>;
  /** The message that carries on from `cursor`, with `tally` added by this invocation's pages. */
  continueFrom: (cursor: string, tally: number) => J;
  /** Follow-up work once the walk is complete, given this invocation's tally. */
  onComplete?: (tally: number) => Job | undefined;
  /**
   * Reads run first in each page's write batch (so they see the mirror before the page), and
   * what the page adds to the tally given their results. Without them the tally stays 0.
   */
  pageReads?: (page: GigPage) => D1PreparedStatement[];
  pageTally?: (page: GigPage, reads: readonly D1Result[]) => number;
  /**
   * Extra writes committed atomically with each page (the backfill checkpoint). They come last:
   * the walk reads the first of them's result to see whether a newer pass took over.
   */
  pageWrites?: (page: PageSummary) => D1PreparedStatement[];
}

/** How a walk ended: the transition that ended it, and the message's outcome. */
export interface WalkEnd {
  transition: "completed" | "paused" | "argyle_failed" | "looped" | "superseded" | "write_failed";
  outcome: Outcome;
}

/** Where the walk stands between two pages. */
interface WalkState {
  /** The cursor the page in flight was requested with (null: the first page). */
  cursor: string | null;
  inflight: Promise<PageFetch>;
  /** The tally of pages committed by this invocation. */
  tally: number;
  /** Whether this invocation committed a page already. */
  progressed: boolean;
}

type PageFetch = { ok: true; page: GigPage; syncedMs: number } | { ok: false; error: ArgyleError };

type PageTransition = { transition: "advanced"; state: WalkState } | WalkEnd;

export async function walk<J extends ListWindowJob | BackfillJob>(
  job: J,
  ctx: JobContext,
  stats: JobStats,
  startCursor: string | null,
  plan: WalkPlan<J>,
): Promise<WalkEnd> {
  const walker = new Walker(job, ctx, stats, plan);
  // The caller checked that a page is affordable (`canTakePage`).
  takePage(ctx);
  let state: WalkState = { cursor: startCursor, inflight: walker.fetchPage(startCursor), tally: 0, progressed: false };
  for (;;) {
    const step = await walker.step(state);
    if (step.transition !== "advanced") return step;
    state = step.state;
  }
}

class Walker<J extends ListWindowJob | BackfillJob> {
  readonly job: J;
  readonly ctx: JobContext;
  readonly stats: JobStats;
  readonly plan: WalkPlan<J>;

  constructor(job: J, ctx: JobContext, stats: JobStats, plan: WalkPlan<J>) {
    this.job = job;
    this.ctx = ctx;
    this.stats = stats;
    this.plan = plan;
  }

  fetchPage(cursor: string | null): Promise<PageFetch> {
    const { ctx } = this;
    this.stats.requests++;
    const syncedMs = ctx.now();
    return ctx
      .limit(() => (cursor ? listGigsPage(ctx.config.argyle, cursor) : this.plan.firstPage()))
      .then(
        (page): PageFetch => ({ ok: true, page, syncedMs }),
        (error: unknown): PageFetch => ({ ok: false, error: asArgyleError(error) }),
      );
  }

  /** One page: wait for it, decide its transition, and write it. */
  async step(state: WalkState): Promise<PageTransition> {
    const { job, ctx, stats, plan } = this;
    const fetched = await state.inflight;
    if (!fetched.ok) {
      const failure = this.carryOn(state, failureOutcome(fetched.error, job, state.cursor, ctx, stats));
      return { transition: "argyle_failed", outcome: await commit(ctx, job, [], failure, state.progressed) };
    }
    const { page, syncedMs } = fetched;
    const { next } = page;
    if (next !== null && next === state.cursor) {
      // A page that points at itself would be walked forever: that is Argyle's bug, not a blip.
      const loop = new ArgyleError("permanent", "Argyle's next page is the page just listed");
      return {
        transition: "looped",
        outcome: await commit(ctx, job, [], failureOutcome(loop, job, state.cursor, ctx, stats), true),
      };
    }

    // Fetch the next page while this one is written, if this invocation has room for it.
    const prefetch = next !== null && takePage(ctx);
    let nextFetch: Promise<PageFetch> | null = null;
    if (prefetch) {
      nextFetch = this.fetchPage(next);
      // The request goes out only when this turn of the event loop ends. Yield first, so it is
      // on its way while this page's write is built and sent, instead of queued behind them.
      await yieldToRuntime();
    }

    const reads = plan.pageReads?.(page) ?? [];
    const skipped = page.invalid.length + page.unidentified;
    const extra = plan.pageWrites?.({ from: state.cursor, next, gigs: page.gigs.length, skipped }) ?? [];
    const writes = [
      ...reads,
      ...upsertGigStatements(
        ctx.db,
        // Gigs older than GIG_RETENTION_DAYS are not stored again (lifecycle/retention.ts).
        withinRetention(
          page.gigs.map((g) => ({ ...g, syncedMs })),
          retentionFloorMs(ctx),
        ),
        job.user,
      ),
      ...extra,
    ];
    // Failures are the catalog's: recorded before the page's write, so a crash between the two
    // leaves the page to be walked again (the failure row is keyed, written once), never a page
    // stored whose bad items nobody hears of.
    const failureRows = [
      ...invalidGigStatements(ctx.catalog, job, page.invalid, ctx.now()),
      ...unidentifiedItemStatements(ctx.catalog, job, page.unidentified, ctx.now()),
    ];
    if (failureRows.length > 0) {
      ctx.budget.take();
      try {
        await ctx.catalog.batch(failureRows);
      } catch (error) {
        return { transition: "write_failed", outcome: this.carryOn(state, d1Retry(error, ctx, stats)) };
      }
    }
    stats.stored += page.gigs.length;
    stats.failed += skipped;
    const tallyOf = (results: readonly D1Result[]) =>
      state.tally + (plan.pageTally?.(page, results.slice(0, reads.length)) ?? 0);

    if (nextFetch === null) {
      // The last page of the walk, or of this invocation: commit it with the job's bookkeeping.
      const transition = next === null ? "completed" : "paused";
      const outcome = await commit(ctx, job, writes, { type: "ack", stats }, true, (results) => {
        const tally = tallyOf(results);
        const continuation = next === null ? plan.onComplete?.(tally) : plan.continueFrom(next, tally);
        return { type: "ack", continuation, stats };
      });
      return { transition: outcome.type === "retry" ? "write_failed" : transition, outcome };
    }

    let results: D1Result[];
    try {
      results = await ctx.db.batch(writes);
    } catch (error) {
      return { transition: "write_failed", outcome: this.carryOn(state, d1Retry(error, ctx, stats)) };
    }
    // A newer pass took over, or another walker of this pass got here first: stop here.
    if (extra.length > 0 && results[writes.length - extra.length]?.meta.changes === 0) {
      const outcome = await commit(ctx, job, [], { type: "ack", note: "superseded by a newer pass", stats }, true);
      return { transition: "superseded", outcome };
    }
    return {
      transition: "advanced",
      state: { cursor: next, inflight: nextFetch, tally: tallyOf(results), progressed: true },
    };
  }

  /** After pages were committed, a retry becomes a delayed continuation from the last one. */
  carryOn(state: WalkState, failure: Outcome): Outcome {
    if (failure.type !== "retry" || !state.progressed || state.cursor === null) return failure;
    return {
      type: "ack",
      continuation: this.plan.continueFrom(state.cursor, state.tally),
      continuationDelaySeconds: failure.delaySeconds,
      note: `carrying on after ${failure.reason}: ${failure.error}`,
      stats: this.stats,
    };
  }
}

function failureOutcome(
  error: ArgyleError,
  job: ListWindowJob | BackfillJob,
  cursor: string | null,
  ctx: JobContext,
  stats: JobStats,
): Outcome {
  stats.failed++;
  const retry = retryFor([error], ctx);
  if (retry) return { type: "retry", ...retry, stats };
  // Permanent (including Argyle's own not-found for the listing): dead-letter the rest of the walk.
  return {
    type: "ack",
    deadLetter: { job: { ...job, cursor, job_id: `${job.job_id}~dead` }, reason: error.kind, error: error.message },
    stats,
  };
}

function yieldToRuntime(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function asArgyleError(error: unknown): ArgyleError {
  return error instanceof ArgyleError ? error : new ArgyleError("transient", describeError(error));
}
