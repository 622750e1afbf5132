/**
 * D1 access for per-account sync state: what Argyle last told us, when we last fetched, and the
 * progress of a backfill pass (a resumable walk over all the account's gigs).
 * @module
 */
import { writableSql } from "../shards/fences.ts";

export interface AccountTouch {
  account: string;
  user: string | null;
  availableCount: number | null | undefined;
  /** received_at of the webhook behind the job; null when no webhook is behind it. */
  webhookAt: string | null;
  /** Set when Argyle answered successfully during the job. */
  fetchedAt: string | null;
  /** Set when the job failed; cleared by the next success. */
  error: string | null;
}

/** Upserts the account's summary; newer webhooks win, older ones never roll it back. */
export function touchAccountStatement(db: D1Database, t: AccountTouch): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO accounts (id, user, available_count, last_webhook_at, last_fetch_at, last_error, last_error_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?6 IS NULL THEN NULL ELSE ?7 END WHERE ${writableSql("?1")}
       ON CONFLICT (id) DO UPDATE SET
         user = COALESCE(excluded.user, accounts.user),
         available_count = CASE WHEN excluded.available_count IS NOT NULL
           AND excluded.last_webhook_at >= COALESCE(accounts.last_webhook_at, '')
           THEN excluded.available_count ELSE accounts.available_count END,
         last_webhook_at = CASE WHEN excluded.last_webhook_at IS NULL THEN accounts.last_webhook_at
           ELSE MAX(excluded.last_webhook_at, COALESCE(accounts.last_webhook_at, '')) END,
         last_fetch_at = COALESCE(excluded.last_fetch_at, accounts.last_fetch_at),
         last_error = CASE WHEN excluded.last_error IS NOT NULL THEN excluded.last_error
           WHEN excluded.last_fetch_at IS NOT NULL THEN NULL ELSE accounts.last_error END,
         last_error_at = CASE WHEN excluded.last_error IS NOT NULL THEN excluded.last_error_at
           WHEN excluded.last_fetch_at IS NOT NULL THEN NULL ELSE accounts.last_error_at END`,
    )
    .bind(t.account, t.user, t.availableCount ?? null, t.webhookAt, t.fetchedAt, t.error, new Date().toISOString());
}

export interface BackfillState {
  pass: string | null;
  status: "none" | "running" | "done" | "failed";
  cursor: string | null;
  startedMs: number | null;
}

/**
 * Starts a backfill pass for `account` unless one that started at or after `receivedMs` is
 * running or done: that pass already covers this request. Returns the pass now in charge and
 * whether this call started it.
 */
export async function claimBackfill(
  db: D1Database,
  account: string,
  user: string | null,
  pass: string,
  receivedMs: number,
  nowMs: number,
): Promise<{ started: boolean; state: BackfillState }> {
  const row = await db
    .prepare(
      `INSERT INTO accounts (id, user, backfill_status, backfill_pass, backfill_started_ms, backfill_progress_ms)
       SELECT ?1, ?2, 'running', ?3, ?5, ?5 WHERE ${writableSql("?1")}
       ON CONFLICT (id) DO UPDATE SET
         user = COALESCE(excluded.user, accounts.user),
         backfill_status = 'running', backfill_pass = ?3, backfill_cursor = NULL,
         backfill_pages = 0, backfill_gigs = 0, backfill_skipped = 0, backfill_retry_ms = NULL,
         backfill_started_ms = ?5, backfill_progress_ms = ?5,
         backfill_completed_at = NULL, backfill_finished_ms = NULL
       WHERE NOT (accounts.backfill_status IN ('running', 'done') AND accounts.backfill_started_ms >= ?4)
       RETURNING backfill_pass`,
    )
    .bind(account, user, pass, receivedMs, nowMs)
    .first<{ backfill_pass: string }>();
  if (row) return { started: true, state: { pass, status: "running", cursor: null, startedMs: nowMs } };
  return { started: false, state: await readBackfill(db, account) };
}

/** The account's backfill checkpoint. */
export async function readBackfill(db: D1Database, account: string): Promise<BackfillState> {
  const row = await db
    .prepare("SELECT backfill_pass, backfill_status, backfill_cursor, backfill_started_ms FROM accounts WHERE id = ?1")
    .bind(account)
    .first<{
      backfill_pass: string | null;
      backfill_status: BackfillState["status"];
      backfill_cursor: string | null;
      backfill_started_ms: number | null;
    }>();
  return {
    pass: row?.backfill_pass ?? null,
    status: row?.backfill_status ?? "none",
    cursor: row?.backfill_cursor ?? null,
    startedMs: row?.backfill_started_ms ?? null,
  };
}

/**
 * Records one page of a pass: the cursor to resume from (null = finished), progress, and gigs
 * skipped as invalid. A compare-and-set: it applies only while `pass` is the account's pass and
 * its cursor is still the one this page was fetched from (`from`). A newer pass, or another
 * walker of the same pass that got there first, makes it a no-op (0 changes): stop walking.
 */
export function checkpointBackfillStatement(
  db: D1Database,
  account: string,
  pass: string,
  page: { from: string | null; next: string | null; gigs: number; skipped: number },
  nowMs: number,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE accounts SET backfill_cursor = ?3, backfill_pages = backfill_pages + 1,
         backfill_gigs = backfill_gigs + ?4, backfill_skipped = backfill_skipped + ?7, backfill_progress_ms = ?5,
         backfill_retry_ms = NULL,
         backfill_status = CASE WHEN ?3 IS NULL THEN 'done' ELSE 'running' END,
         backfill_completed_at = CASE WHEN ?3 IS NULL THEN ?6 ELSE NULL END
       WHERE id = ?1 AND backfill_pass = ?2 AND backfill_cursor IS ?8 AND ${writableSql("?1")}`,
    )
    .bind(account, pass, page.next, page.gigs, nowMs, new Date(nowMs).toISOString(), page.skipped, page.from);
}

/** Notes when a pass's message is due again after a failure, so the cron leaves it be until then. */
export function backfillRetryStatement(
  db: D1Database,
  account: string,
  pass: string,
  dueMs: number,
): D1PreparedStatement {
  return db
    .prepare(`UPDATE accounts SET backfill_retry_ms = ?3 WHERE id = ?1 AND backfill_pass = ?2 AND ${writableSql("?1")}`)
    .bind(account, pass, dueMs);
}

/** Marks a pass failed (its job was dead-lettered), so the next sync request starts afresh. */
export function failBackfillStatement(db: D1Database, account: string, pass: string | null): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE accounts SET backfill_status = 'failed' WHERE id = ?1 AND backfill_status = 'running'
         AND (?2 IS NULL OR backfill_pass = ?2) AND ${writableSql("?1")}`,
    )
    .bind(account, pass);
}

/**
 * Running passes with no checkpoint since `beforeMs` and no retry due after it: their message
 * was lost or is stuck.
 */
export async function stalledBackfills(
  db: D1Database,
  beforeMs: number,
  limit: number,
): Promise<{
  rows: { id: string; user: string | null; backfill_pass: string; backfill_cursor: string | null }[];
  rowsRead: number;
}> {
  const { results, meta } = await db
    .prepare(
      `SELECT id, user, backfill_pass, backfill_cursor FROM accounts
       WHERE backfill_status = 'running' AND backfill_progress_ms < ?1 AND COALESCE(backfill_retry_ms, 0) < ?1
       ORDER BY backfill_progress_ms LIMIT ?2`,
    )
    .bind(beforeMs, limit)
    .all<{ id: string; user: string | null; backfill_pass: string; backfill_cursor: string | null }>();
  return { rows: results, rowsRead: meta.rows_read };
}

/**
 * Notes that the cron sent a revived pass's message now (it is due now), so the next cron runs do
 * not revive it again for STALL_MS. `backfill_progress_ms` stays the last real checkpoint, which
 * the stalled-backfill alert reads: a pass the cron keeps reviving in vain is still stalled.
 */
export function nudgeBackfillStatement(
  db: D1Database,
  account: string,
  pass: string,
  nowMs: number,
): D1PreparedStatement {
  return db
    .prepare("UPDATE accounts SET backfill_retry_ms = ?3 WHERE id = ?1 AND backfill_pass = ?2")
    .bind(account, pass, nowMs);
}
