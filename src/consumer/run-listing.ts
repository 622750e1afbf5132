/**
 * list_window and backfill: walk Argyle's gig list page by page (see listing-walk.ts), storing
 * each page. A backfill checkpoints its cursor in D1 with every page, so a crash, retry or stall
 * resumes where it stopped; when the invocation's budget is spent the rest continues as a new
 * message. A completed pass then confirms, gig by gig, what it did not see (confirm-removals.ts).
 * @module
 */
import { listGigs } from "../domain/argyle-client.ts";
import type { BackfillJob, ListWindowJob } from "../domain/jobs.ts";
import {
  type BackfillState,
  checkpointBackfillStatement,
  claimBackfill,
  readBackfill,
} from "../domain/storage/accounts.ts";
import { knownGigCount, knownGigCountStatement } from "../domain/storage/reconcile.ts";
import { commit, d1Retry } from "./commit.ts";
import { confirmUnseenGigs } from "./confirm-removals.ts";
import { continuationId, emptyStats, type JobContext, type Outcome } from "./job-context.ts";
import { canTakePage, PAGE_COST, walk } from "./listing-walk.ts";

/**
 * Lists the gigs whose start falls in a `gigs.added` window, and checks that the window yielded
 * as many gigs as Argyle said were added.
 *
 * The check counts only gigs the mirror did not already hold alive (read in each page's write
 * transaction, before the page is stored): gigs we had before the webhook cannot be the ones it
 * announces, so they no longer mask a missing new one, however many old gigs the (widened)
 * window holds. `listed` carries that count across the walk's messages. The count errs one way
 * only: a new gig we happened to hold already (a `gigs.updated` came first, or a page was
 * redelivered after it was stored) makes the count short, and a short count backfills the
 * account. So a miss is never masked; at worst a sound window costs a backfill.
 */
export async function runListWindow(job: ListWindowJob, ctx: JobContext): Promise<Outcome> {
  const stats = emptyStats();
  if (!canTakePage(ctx)) {
    return { type: "ack", continuation: job, note: "deferred: invocation budget spent", stats };
  }
  const end = await walk(job, ctx, stats, job.cursor, {
    firstPage: () =>
      listGigs(ctx.config.argyle, {
        account: job.account,
        fromStartDatetime: job.from,
        toStartDatetime: job.to,
        limit: ctx.config.pageSize,
      }),
    pageReads: (page) => [
      knownGigCountStatement(ctx.db, [...page.gigs.map((g) => g.gig.id), ...page.invalid.map((i) => i.id)]),
    ],
    pageTally: (page, [read]) => {
      const known = knownGigCount(read);
      // Unreadable: count nothing as new, so the window falls back to a backfill.
      return known === null ? 0 : page.gigs.length + page.invalid.length - known;
    },
    continueFrom: (cursor, fresh) => ({
      ...job,
      job_id: continuationId(job.job_id),
      cursor,
      listed: job.listed + fresh,
    }),
    // Fewer new gigs than Argyle said were added: one was missed. Walk the whole account.
    onComplete: (fresh) => {
      if (job.expected === null || job.listed + fresh >= job.expected) return undefined;
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
  return end.outcome;
}

/** Walks all of the account's gigs as one pass, resumable from its D1 checkpoint. */
export async function runBackfill(job: BackfillJob, ctx: JobContext): Promise<Outcome> {
  const stats = emptyStats();
  // Claiming may take two queries (claim, then read who holds the pass), plus a page.
  if (ctx.budget.remaining < 2 + PAGE_COST) {
    return { type: "ack", continuation: job, note: "deferred: subrequest budget spent", stats };
  }
  // A finished pass's message needs no page, but the claim decides that: without a page left,
  // come back in a fresh invocation rather than claim and then stop.
  if (ctx.pages.remaining < 1) {
    return { type: "ack", continuation: job, note: "deferred: page budget spent", stats };
  }
  ctx.budget.take(2);
  let state: (BackfillState & { pass: string }) | null;
  try {
    state = await passToWalk(job, ctx);
  } catch (error) {
    return d1Retry(error, ctx, stats);
  }
  if (state === null) {
    // Through commit, whose transaction reads the fence: a claim that found its account fenced (a
    // move began after this job's check) was a no-op, and the job must be deferred, not dropped.
    ctx.budget.take();
    return commit(ctx, job, [], { type: "ack", note: "covered by another backfill pass", stats }, false);
  }
  const pass = state.pass;
  // From here on the message speaks for this pass (so, e.g., its dead letter fails this pass).
  const passJob = { ...job, pass };
  // A finished pass has one step left: confirming what it did not see (also on a redelivery).
  if (state.status === "done") {
    const after = job.pass === null ? null : (job.confirm_after ?? null);
    return confirmUnseenGigs({ ...passJob, confirm_after: after }, ctx, stats);
  }
  // D1's checkpoint is authoritative: it may be ahead of the cursor this message carries.
  const cursor = state.cursor;
  const end = await walk(passJob, ctx, stats, cursor, {
    firstPage: () => listGigs(ctx.config.argyle, { account: job.account, limit: ctx.config.pageSize }),
    continueFrom: (next) => ({ ...passJob, job_id: continuationId(job.job_id), cursor: next }),
    pageWrites: (page) => [checkpointBackfillStatement(ctx.db, job.account, pass, page, ctx.now())],
  });
  // The listing is complete: now confirm, within what is left of the budget, what it did not see.
  if (end.transition !== "completed") return end.outcome;
  if (ctx.pages.remaining < 1 && end.outcome.type === "ack") {
    // The invocation's CPU went to the listing (Free plan): confirm in a message of its own.
    return { ...end.outcome, continuation: { ...passJob, job_id: continuationId(job.job_id), cursor: null } };
  }
  return confirmUnseenGigs({ ...passJob, confirm_after: null }, ctx, stats);
}

/**
 * The pass this message works on: one it starts, its own pass on a redelivery, or the pass a
 * continuation belongs to; running (walk on) or done (confirm what it did not see). Null when
 * there is nothing to do: a pass that started after this webhook arrived covers it, or the
 * continuation's pass was superseded or failed.
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
  const ours = state.pass === ownPass && (state.status === "running" || state.status === "done");
  return ours ? { ...state, pass: ownPass } : null;
}
