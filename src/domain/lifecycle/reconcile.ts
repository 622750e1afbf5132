/**
 * Scheduled reconciliation: every account with stored gigs is listed again in full at least every
 * RECONCILE_DAYS, through the backfill path (the one path that repairs: upserts what changed,
 * tombstones what a complete listing did not see). Passes are named `reconcile:…`, which the drift
 * triggers of migration 0006 recognise; a complete pass of any kind stamps `last_reconciled_ms`.
 * @module
 */
import { type BackfillJob, JOB_VERSION } from "../jobs.ts";
import { notPurgedSql } from "./purged.ts";

/** A job id (and so a pass id) the drift triggers count under. */
export function reconcileJobId(account: string, nowMs: number): string {
  return `reconcile:${account}:${nowMs}`;
}

/** An account queued for reconciliation is not queued again for this long (its pass is starting). */
export const RECONCILE_REQUEUE_MS = 60 * 60_000;

/**
 * Accounts due: not confirmed by a complete listing for `periodMs`, with live gigs, no pass
 * running, not queued within the hour; oldest first (the `accounts_by_reconciled` index), so the
 * work spreads over time as each account falls due.
 */
export async function dueForReconcile(
  db: D1Database,
  nowMs: number,
  periodMs: number,
  limit: number,
): Promise<{ id: string; user: string | null }[]> {
  const { results } = await db
    .prepare(
      `SELECT a.id, a.user FROM accounts a
       WHERE COALESCE(a.last_reconciled_ms, 0) < ?1 AND a.backfill_status <> 'running'
         AND COALESCE(a.reconcile_queued_ms, 0) < ?2
         AND EXISTS (SELECT 1 FROM gigs g WHERE g.account = a.id AND g.removed_at IS NULL)
         AND ${notPurgedSql("a.id")}
       ORDER BY a.last_reconciled_ms LIMIT ?3`,
    )
    .bind(nowMs - periodMs, nowMs - RECONCILE_REQUEUE_MS, limit)
    .all<{ id: string; user: string | null }>();
  return results;
}

export function reconcileJob(account: { id: string; user: string | null }, nowMs: number): BackfillJob {
  return {
    v: JOB_VERSION,
    kind: "backfill",
    job_id: reconcileJobId(account.id, nowMs),
    event_id: "reconcile",
    origin: "reconcile",
    account: account.id,
    user: account.user,
    received_at: new Date(nowMs).toISOString(),
    pass: null,
    cursor: null,
  };
}

export function markReconcileQueuedStatement(db: D1Database, account: string, nowMs: number): D1PreparedStatement {
  return db.prepare("UPDATE accounts SET reconcile_queued_ms = ?2 WHERE id = ?1").bind(account, nowMs);
}

/**
 * Written with a pass's last page, after its tombstones: a complete pass that skipped nothing
 * confirmed the whole account, whatever started it. Stops the drift count for the pass.
 */
export function finishPassStatement(db: D1Database, account: string, pass: string, nowMs: number): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE accounts SET last_reconciled_ms = ?3
       WHERE id = ?1 AND backfill_pass = ?2 AND backfill_status = 'done' AND backfill_skipped = 0`,
    )
    .bind(account, pass, nowMs);
}
