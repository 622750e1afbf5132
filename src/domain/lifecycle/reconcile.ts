/**
 * Scheduled reconciliation: every account with stored gigs is listed again in full at least every
 * RECONCILE_DAYS, through the backfill path (the one path that repairs: upserts what changed,
 * tombstones what a complete listing did not see). Passes are named `reconcile:…`, which the drift
 * triggers recognise (0006, rewritten in 0009: `drift_found` counts the latest pass, reset when a
 * new one starts; `drift_total` every pass, until the pass finishes); a complete pass of any kind
 * that skipped nothing stamps `last_reconciled_ms`, and every finished pass holds the account a period. The cron's pacing is in src/consumer/lifecycle-cron.ts.
 * @module
 */
import { type BackfillJob, JOB_VERSION } from "../jobs.ts";
import { writableSql } from "../shards/fences.ts";
import { notPurgedSql } from "./purged.ts";

/** A job id (and so a pass id) the drift triggers count under. */
export function reconcileJobId(account: string, nowMs: number): string {
  return `reconcile:${account}:${nowMs}`;
}

/** An account queued for reconciliation is not queued again for this long (its pass is starting). */
export const RECONCILE_REQUEUE_MS = 60 * 60_000;

/**
 * The one key scheduled reconciliation reads accounts by (index accounts_reconcile_due, migration
 * 0009): the later of the last complete listing and the cron's hold. An account is due once the
 * key is a period old. The expression must stay word for word the index's, or SQLite scans.
 */
export const RECONCILE_KEY_SQL = "MAX(COALESCE(a.last_reconciled_ms, 0), COALESCE(a.reconcile_hold_ms, 0))";

export interface ReconcileCandidate {
  id: string;
  user: string | null;
  /** 1 when the account has live gigs, is not purged and no pass is running: queue it. */
  eligible: number;
  /** 1 when a pass is running (look again in an hour); else an ineligible account waits a period. */
  running: number;
}

/**
 * Accounts due (key older than `periodMs`), oldest first, at most `limit`: one index seek that
 * stops at the first account not due, so when nothing is due it reads no account, however many
 * there are. Every account returned must then be held (`holdStatements`) whether it is queued or
 * not, so it leaves the due range: that is what keeps the next idle run at zero rows.
 */
export async function dueForReconcile(
  db: D1Database,
  nowMs: number,
  periodMs: number,
  limit: number,
): Promise<ReconcileCandidate[]> {
  const { results } = await db
    .prepare(
      `SELECT a.id, a.user, a.backfill_status = 'running' AS running,
         (a.backfill_status <> 'running'
           AND EXISTS (SELECT 1 FROM gigs g WHERE g.account = a.id AND g.removed_at IS NULL)
           AND ${notPurgedSql("a.id")}) AS eligible
       FROM accounts a INDEXED BY accounts_reconcile_due
       WHERE ${RECONCILE_KEY_SQL} < ?1
       ORDER BY ${RECONCILE_KEY_SQL} LIMIT ?2`,
    )
    .bind(nowMs - periodMs, limit)
    .all<ReconcileCandidate>();
  return results;
}

/**
 * Takes accounts out of the due range: `requeue` ones (queued now, or with a pass running) come
 * back in RECONCILE_REQUEUE_MS unless a complete listing stamps them first; `later` ones (no live
 * gigs, or purged) come back in a period. One statement each, whatever the number of accounts.
 */
export function holdStatements(
  db: D1Database,
  held: { requeue: string[]; later: string[]; queued: string[] },
  nowMs: number,
  periodMs: number,
): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  const hold = (ids: string[], at: number) => {
    if (ids.length > 0)
      statements.push(
        db
          .prepare("UPDATE accounts SET reconcile_hold_ms = ?2 WHERE id IN (SELECT value FROM json_each(?1))")
          .bind(JSON.stringify(ids), at),
      );
  };
  hold(held.requeue, nowMs - periodMs + RECONCILE_REQUEUE_MS);
  hold(held.later, nowMs);
  if (held.queued.length > 0)
    statements.push(
      db
        .prepare("UPDATE accounts SET reconcile_queued_ms = ?2 WHERE id IN (SELECT value FROM json_each(?1))")
        .bind(JSON.stringify(held.queued), nowMs),
    );
  return statements;
}

/** Accounts a reconciliation would list (live gigs, not purged): the pacing's N. Reads every account. */
export async function countReconcilable(db: D1Database): Promise<number> {
  const row = await db
    .prepare(
      `SELECT COUNT(*) AS n FROM accounts a
       WHERE EXISTS (SELECT 1 FROM gigs g WHERE g.account = a.id AND g.removed_at IS NULL) AND ${notPurgedSql("a.id")}`,
    )
    .first<{ n: number }>();
  return row?.n ?? 0;
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

/**
 * Written with a pass's last write, after its tombstones: the pass is over. Whatever it skipped,
 * the account is held a full period (`reconcile_hold_ms`), so the cron does not list it again
 * within the hour, and `backfill_finished_ms` stops the drift triggers counting (webhook-driven updates after the pass
 * are not drift). Only a pass that skipped nothing (no item it could not store, no permanent
 * confirmation failure, both counted in `backfill_skipped`) confirmed the whole account, and
 * stamps `last_reconciled_ms`, whatever started it.
 */
export function finishPassStatement(db: D1Database, account: string, pass: string, nowMs: number): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE accounts SET reconcile_hold_ms = MAX(COALESCE(reconcile_hold_ms, 0), ?3), backfill_finished_ms = ?3,
         last_reconciled_ms = CASE WHEN backfill_skipped = 0 THEN ?3 ELSE last_reconciled_ms END
       WHERE id = ?1 AND backfill_pass = ?2 AND backfill_status = 'done' AND ${writableSql("?1")}`,
    )
    .bind(account, pass, nowMs);
}

/** Counts gigs a pass could not confirm (Argyle failed for good) as skipped: no stamp for the pass. */
export function skippedStatement(db: D1Database, account: string, pass: string, count: number): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE accounts SET backfill_skipped = backfill_skipped + ?3 WHERE id = ?1 AND backfill_pass = ?2 AND ${writableSql("?1")}`,
    )
    .bind(account, pass, count);
}
