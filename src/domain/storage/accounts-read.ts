/**
 * Reads of per-account sync state for /api/accounts: the consumer's `accounts` row plus counts
 * derived where they live (gigs stored and removed, open failures), as correlated subqueries
 * over `gigs_by_account_removed` and `failures_by_account`, so a whole page is one query.
 * @module
 */
import { msToIso } from "../datetime.ts";
import { notPurgedSql } from "../lifecycle/purged.ts";
import type { AccountListRequest } from "../ops-list-params.ts";
import { type BoundQuery, fetchPage, idKeyset, Params } from "./query.ts";

export type BackfillStatus = "none" | "running" | "done" | "failed";

export interface AccountSummary {
  id: string;
  user: string | null;
  /** Argyle's count of the account's gigs, from the newest webhook seen. */
  available_count: number | null;
  gigs_stored: number;
  gigs_removed: number;
  backfill: {
    status: BackfillStatus;
    pages: number;
    gigs: number;
    /** Gigs Argyle served invalid during the pass (recorded in failures); the pass did not reconcile. */
    skipped: number;
    started_at: string | null;
    progress_at: string | null;
    completed_at: string | null;
  };
  last_webhook_at: string | null;
  last_fetch_at: string | null;
  open_failures: number;
  last_error: string | null;
  last_error_at: string | null;
  /** Scheduled reconciliation: the last complete listing, and the differences passes found. */
  reconcile: { last_reconciled_at: string | null; drift_found: number; drift_total: number };
}

interface AccountRow {
  id: string;
  user: string | null;
  available_count: number | null;
  gigs_stored: number;
  gigs_removed: number;
  open_failures: number;
  backfill_status: BackfillStatus;
  backfill_pages: number;
  backfill_gigs: number;
  backfill_skipped: number;
  backfill_started_ms: number | null;
  backfill_progress_ms: number | null;
  backfill_completed_at: string | null;
  last_webhook_at: string | null;
  last_fetch_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  last_reconciled_ms: number | null;
  drift_found: number;
  drift_total: number;
}

const SELECT = `SELECT a.id, a.user, a.available_count, a.last_webhook_at, a.last_fetch_at, a.backfill_status,
  a.backfill_pages, a.backfill_gigs, a.backfill_skipped, a.backfill_started_ms, a.backfill_progress_ms, a.backfill_completed_at,
  a.last_error, a.last_error_at, a.last_reconciled_ms, a.drift_found, a.drift_total,
  (SELECT COUNT(*) FROM gigs g WHERE g.account = a.id AND g.removed_at IS NULL) AS gigs_stored,
  (SELECT COUNT(*) FROM gigs g WHERE g.account = a.id AND g.removed_at IS NOT NULL) AS gigs_removed,
  (SELECT COUNT(*) FROM failures f WHERE f.account = a.id AND f.status = 'open') AS open_failures
  FROM accounts a`;

/** An account being purged reads as deleted: absent from the list, 404 by id. */
const NOT_PURGED = notPurgedSql("a.id");

/** One page of accounts in id order. */
export async function listAccounts(
  db: D1Database,
  request: AccountListRequest,
): Promise<{ rows: AccountSummary[]; hasMore: boolean }> {
  const page = await fetchPage<AccountRow>(db, buildAccountListQuery(request), request.limit, request.position);
  return { rows: page.rows.map(toSummary), hasMore: page.hasMore };
}

/** The SQL of one page: a range of the primary key, three index lookups per row. */
export function buildAccountListQuery(request: AccountListRequest): BoundQuery {
  const params = new Params();
  const keyset = idKeyset("a.id", false, request.position, params);
  const where = [NOT_PURGED, ...(keyset.where ? [keyset.where] : [])].join(" AND ");
  const sql = `${SELECT} WHERE ${where} ORDER BY ${keyset.order} LIMIT ${params.bind(request.limit + 1)}`;
  return { sql, params: params.values };
}

/** One account's summary, or null. */
export async function getAccount(db: D1Database, id: string): Promise<AccountSummary | null> {
  const row = await db.prepare(`${SELECT} WHERE a.id = ?1 AND ${NOT_PURGED}`).bind(id).first<AccountRow>();
  return row ? toSummary(row) : null;
}

function toSummary(row: AccountRow): AccountSummary {
  return {
    id: row.id,
    user: row.user,
    available_count: row.available_count,
    gigs_stored: row.gigs_stored,
    gigs_removed: row.gigs_removed,
    backfill: {
      status: row.backfill_status,
      pages: row.backfill_pages,
      gigs: row.backfill_gigs,
      skipped: row.backfill_skipped,
      started_at: msToIso(row.backfill_started_ms),
      progress_at: msToIso(row.backfill_progress_ms),
      completed_at: row.backfill_completed_at,
    },
    last_webhook_at: row.last_webhook_at,
    last_fetch_at: row.last_fetch_at,
    open_failures: row.open_failures,
    last_error: row.last_error,
    last_error_at: row.last_error_at,
    reconcile: {
      last_reconciled_at: msToIso(row.last_reconciled_ms),
      drift_found: row.drift_found,
      drift_total: row.drift_total,
    },
  };
}
