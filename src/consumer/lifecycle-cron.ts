/**
 * The cron's data-lifecycle steps: revive purges whose message was lost, apply GIG_RETENTION_DAYS,
 * and queue scheduled reconciliations. Each is bounded per run so the cron stays within its
 * subrequest budget and never holds D1 long.
 * @module
 */
import { sendJobs } from "../domain/ingest.ts";
import type { Job } from "../domain/jobs.ts";
import { purgeJob } from "../domain/lifecycle/plan.ts";
import { markPurgeStatement, nudgePurgeStatement, stalledPurges } from "../domain/lifecycle/purge.ts";
import { dueForReconcile, markReconcileQueuedStatement, reconcileJob } from "../domain/lifecycle/reconcile.ts";
import { idleAccounts, pruneExpiredGigs } from "../domain/lifecycle/retention.ts";
import { logInfo } from "../domain/log.ts";
import type { ConsumerConfig } from "./config.ts";
import type { ConsumerEnv } from "./env.ts";

/** A purge with no chunk for this long lost its message. */
export const PURGE_STALL_MS = 15 * 60_000;
/** Purges revived, accounts expired, and accounts reconciled per cron run. */
const PURGE_REVIVE_LIMIT = 25;
const RETENTION_ACCOUNT_LIMIT = 10;
/**
 * Reconciliations queued per run. With the cron every 5 minutes that is 7,200 accounts a day,
 * 50,400 within the default 7 days; each is one backfill pass (a page per 200 gigs).
 */
export const RECONCILE_PER_RUN = 25;

export async function revivePurges(env: ConsumerEnv, nowMs: number): Promise<number> {
  const stalled = await stalledPurges(env.DB, nowMs - PURGE_STALL_MS, PURGE_REVIVE_LIMIT);
  if (stalled.length === 0) return 0;
  const receivedAt = new Date(nowMs).toISOString();
  const jobs: Job[] = stalled.map((p) =>
    purgeJob({
      account: p.account,
      user: p.user,
      reason: p.reason,
      tokenRole: p.token_role,
      jobId: `purge:${p.account}:${nowMs}`,
      eventId: "cron",
      receivedAt,
    }),
  );
  await sendJobs(env.JOBS, jobs);
  await env.DB.batch(stalled.map((p) => nudgePurgeStatement(env.DB, p.account, nowMs)));
  logInfo("revived stalled purges", { accounts: stalled.length });
  return stalled.length;
}

export async function applyRetention(
  env: ConsumerEnv,
  config: ConsumerConfig,
  nowMs: number,
): Promise<{ gigs: number; accounts: number }> {
  if (config.gigRetentionDays === null) return { gigs: 0, accounts: 0 };
  const cutoffMs = nowMs - config.gigRetentionDays * 86_400_000;
  const gigs = await pruneExpiredGigs(env.DB, cutoffMs, nowMs);
  const idle = await idleAccounts(env.DB, new Date(cutoffMs).toISOString(), RETENTION_ACCOUNT_LIMIT);
  if (idle.length > 0) {
    // Marked first (reads as deleted at once), then purged by the same job as any deletion.
    await env.DB.batch(
      idle.map((a) =>
        markPurgeStatement(env.DB, { account: a.id, user: a.user, reason: "retention", tokenRole: null }, nowMs),
      ),
    );
    const receivedAt = new Date(nowMs).toISOString();
    await sendJobs(
      env.JOBS,
      idle.map((a) =>
        purgeJob({
          account: a.id,
          user: a.user,
          reason: "retention",
          tokenRole: null,
          jobId: `purge:${a.id}:${nowMs}`,
          eventId: "retention",
          receivedAt,
        }),
      ),
    );
  }
  if (gigs > 0 || idle.length > 0) logInfo("retention", { gigs, accounts: idle.length });
  return { gigs, accounts: idle.length };
}

export async function scheduleReconciliation(env: ConsumerEnv, config: ConsumerConfig, nowMs: number): Promise<number> {
  const due = await dueForReconcile(env.DB, nowMs, config.reconcileDays * 86_400_000, RECONCILE_PER_RUN);
  if (due.length === 0) return 0;
  await sendJobs(
    env.JOBS,
    due.map((a) => reconcileJob(a, nowMs)),
  );
  await env.DB.batch(due.map((a) => markReconcileQueuedStatement(env.DB, a.id, nowMs)));
  logInfo("queued reconciliations", { accounts: due.length });
  return due.length;
}
