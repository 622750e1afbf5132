/**
 * list_window and backfill: walk Argyle's gig list page by page, storing each page. A backfill
 * checkpoints its cursor in D1 with every page, so a crash, retry or stall resumes where it
 * stopped; when the invocation's budget is spent the rest continues as a new message.
 * @module
 */
import { ArgyleError, type GigPage, listGigs, listGigsPage } from "../domain/argyle-client.ts";
import { describeError } from "../domain/errors.ts";
import type { BackfillJob, Job, ListWindowJob } from "../domain/jobs.ts";
import { finishPassStatement } from "../domain/lifecycle/reconcile.ts";
import { withinRetention } from "../domain/lifecycle/retention.ts";
import {
  type BackfillState,
  checkpointBackfillStatement,
  claimBackfill,
  readBackfill,
} from "../domain/storage/accounts.ts";
import { reconcileStatement, upsertGigStatements } from "../domain/storage/gigs.ts";
import { commit, d1Retry, retryFor } from "./commit.ts";
import { invalidGigStatements } from "./invalid-gigs.ts";
import {
  continuationId,
  emptyStats,
  type JobContext,
  type JobStats,
  type Outcome,
  retentionFloorMs,
} from "./job-context.ts";

/** Each page costs one request and one write. */
const PAGE_COST = 2;

/** Lists the gigs whose start falls in a `gigs.added` window. */
export function runListWindow(job: ListWindowJob, ctx: JobContext): Promise<Outcome> {
  const stats = emptyStats();
  if (ctx.budget.remaining < PAGE_COST) {
    return Promise.resolve({ type: "ack", continuation: job, note: "deferred: subrequest budget spent", stats });
  }
  return walk(job, ctx, stats, job.cursor, {
    firstPage: () =>
      listGigs(ctx.config.argyle, {
        account: job.account,
        fromStartDatetime: job.from,
        toStartDatetime: job.to,
        limit: ctx.config.pageSize,
      }),
    continueFrom: (cursor, listed) => ({
      ...job,
      job_id: continuationId(job.job_id),
      cursor,
      listed: job.listed + listed,
    }),
    // Fewer gigs in the window than Argyle said were added: something fell outside it. Walk the
    // whole account rather than leave a gig missing.
    onComplete: (listed) => {
      if (job.expected === null || job.listed + listed >= job.expected) return undefined;
      const { v, event_id, account, user, received_at, available_count, origin } = job;
      const jobId = `${job.job_id.slice(0, 180)}~backfill`;
      return {
        v,
        event_id,
        account,
        user,
        received_at,
        available_count,
        origin,
        kind: "backfill",
        job_id: jobId,
        pass: null,
        cursor: null,
      };
    },
  });
}

/** Walks all of the account's gigs as one pass, resumable from its D1 checkpoint. */
export async function runBackfill(job: BackfillJob, ctx: JobContext): Promise<Outcome> {
  const stats = emptyStats();
  // Claiming may take two queries (claim, then read who holds the pass), plus a page.
  if (ctx.budget.remaining < 2 + PAGE_COST) {
    return { type: "ack", continuation: job, note: "deferred: subrequest budget spent", stats };
  }
  ctx.budget.take(2);
  let state: (BackfillState & { pass: string }) | null;
  try {
    state = await passToWalk(job, ctx);
  } catch (error) {
    return d1Retry(error, ctx, stats);
  }
  if (state === null) return { type: "ack", note: "covered by another backfill pass", stats };
  const pass = state.pass;
  // From here on the message speaks for this pass (so, e.g., its dead letter fails this pass).
  const passJob = { ...job, pass };
  const startedMs = state.startedMs ?? ctx.now();
  // D1's checkpoint is authoritative: it may be ahead of the cursor this message carries.
  const cursor = state.cursor;
  return walk(passJob, ctx, stats, cursor, {
    firstPage: () => listGigs(ctx.config.argyle, { account: job.account, limit: ctx.config.pageSize }),
    continueFrom: (next) => ({ ...passJob, job_id: continuationId(job.job_id), cursor: next }),
    pageWrites: (page) => {
      const writes = [checkpointBackfillStatement(ctx.db, job.account, pass, page, ctx.now())];
      // The last page completes a full listing: whatever it did not see is gone at Argyle.
      if (page.next === null) {
        writes.push(
          reconcileStatement(ctx.db, job.account, pass, startedMs),
          finishPassStatement(ctx.db, job.account, pass, ctx.now()),
        );
      }
      return writes;
    },
  });
}

/**
 * The running pass this message should walk: one it starts, its own pass on a redelivery, or the
 * pass a continuation belongs to. Null when there is nothing to walk: a pass that started after
 * this webhook arrived covers it, or the continuation's pass was superseded or has finished.
 */
async function passToWalk(job: BackfillJob, ctx: JobContext): Promise<(BackfillState & { pass: string }) | null> {
  const ownPass = job.pass ?? job.job_id;
  let state: BackfillState;
  if (job.pass === null) {
    const claim = await claimBackfill(
      ctx.db,
      job.account,
      job.user,
      job.job_id,
      Date.parse(job.received_at),
      ctx.now(),
    );
    if (claim.started) ctx.budget.refund(1);
    state = claim.state;
  } else {
    state = await readBackfill(ctx.db, job.account);
  }
  return state.pass === ownPass && state.status === "running" ? { ...state, pass: ownPass } : null;
}

interface WalkOptions<J extends ListWindowJob | BackfillJob> {
  firstPage: () => Promise<GigPage>;
  /** The message that carries on from `cursor`, having listed `listed` gigs in this invocation. */
  continueFrom: (cursor: string, listed: number) => J;
  /** Follow-up work once the walk is complete, given the gigs listed in this invocation. */
  onComplete?: (listed: number) => Job | undefined;
  /**
   * Extra writes committed atomically with each page (the backfill checkpoint). They come last:
   * the walk reads the first of them's result to see whether a newer pass took over.
   */
  pageWrites?: (page: {
    from: string | null;
    next: string | null;
    gigs: number;
    skipped: number;
  }) => D1PreparedStatement[];
}

async function walk<J extends ListWindowJob | BackfillJob>(
  job: J,
  ctx: JobContext,
  stats: JobStats,
  startCursor: string | null,
  options: WalkOptions<J>,
): Promise<Outcome> {
  const fetchPage = (cursor: string | null) => {
    stats.requests++;
    const syncedMs = ctx.now();
    const page = ctx.limit(() => (cursor ? listGigsPage(ctx.config.argyle, cursor) : options.firstPage()));
    const settled = page.then(
      (value) => ({ ok: true as const, value, syncedMs }),
      (error: unknown) => ({ ok: false as const, error: asArgyleError(error) }),
    );
    return settled;
  };

  ctx.budget.take(PAGE_COST);
  let inflight = fetchPage(startCursor);
  let cursor = startCursor;
  let answered = false;
  let listed = 0;
  let listedCommitted = 0;
  let progressed = false;
  // After pages were committed, a failure carries on as a new message instead of a redelivery:
  // a long walk through a flaky Argyle then never runs out of retries while it advances.
  const carryOn = (failure: Outcome): Outcome =>
    failure.type === "retry" && progressed
      ? {
          type: "ack",
          continuation: options.continueFrom(cursor as string, listedCommitted),
          continuationDelaySeconds: failure.delaySeconds,
          note: `carrying on after ${failure.reason}: ${failure.error}`,
          stats,
        }
      : failure;
  for (;;) {
    const result = await inflight;
    if (!result.ok) {
      return commit(ctx, job, [], carryOn(failureOutcome(result.error, job, cursor, ctx, stats)), answered);
    }
    answered = true;
    const { gigs, invalid, next } = result.value;
    listed += gigs.length + invalid.length;
    if (next !== null && next === cursor) {
      // A page that points at itself would be walked forever: that is Argyle's bug, not a blip.
      const loop = new ArgyleError("permanent", "Argyle's next page is the page just listed");
      return commit(ctx, job, [], failureOutcome(loop, job, cursor, ctx, stats), answered);
    }
    // Fetch the next page while this one is written: the walk is bound by Argyle's latency.
    const prefetch = next !== null && ctx.budget.take(PAGE_COST);
    if (prefetch) {
      inflight = fetchPage(next);
      // The request goes out only when this turn of the event loop ends. Yield first, so it is
      // on its way while this page's write is built and sent, instead of queued behind them.
      await yieldToRuntime();
    }
    const extra = options.pageWrites?.({ from: cursor, next, gigs: gigs.length, skipped: invalid.length }) ?? [];
    const writes = [
      ...upsertGigStatements(
        ctx.db,
        withinRetention(
          gigs.map((g) => ({ ...g, syncedMs: result.syncedMs })),
          retentionFloorMs(ctx),
        ),
        job.user,
      ),
      ...invalidGigStatements(ctx.db, job, invalid, ctx.now()),
      ...extra,
    ];
    stats.stored += gigs.length;
    stats.failed += invalid.length;

    if (!prefetch) {
      // Last page of the walk, or of this invocation: commit it with the job's bookkeeping.
      const continuation = next === null ? options.onComplete?.(listed) : options.continueFrom(next, listed);
      const outcome: Outcome = { type: "ack", continuation, stats };
      return commit(ctx, job, writes, outcome, true);
    }
    try {
      const results = await ctx.db.batch(writes);
      // A newer pass took over, or another walker of this pass got here first: stop here.
      if (extra.length > 0 && results[writes.length - extra.length]?.meta.changes === 0) {
        return commit(ctx, job, [], { type: "ack", note: "superseded by a newer pass", stats }, true);
      }
    } catch (error) {
      return carryOn(d1Retry(error, ctx, stats));
    }
    cursor = next;
    listedCommitted = listed;
    progressed = true;
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
  // Permanent (including a 404 for the listing itself): dead-letter the rest of the walk.
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
