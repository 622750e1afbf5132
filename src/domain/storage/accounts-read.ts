/**
 * Reads of per-account sync state for /api/accounts: the consumer's `accounts` row plus counts
 * derived where they live. The row and its gig counts (correlated subqueries over
 * `gigs_by_account_removed`) come from the account's shard, one query per page per shard; open
 * failures come from the catalog (`failures_by_account`), one query for the whole page.
 * @module
 */
import { msToIso } from "../datetime.ts";
import { notPurgedSql } from "../lifecycle/purged.ts";
import type { AccountListRequest } from "../ops-list-params.ts";
import type { ShardTarget } from "../shards/read-scope.ts";
import { type BoundQuery, idKeyset, Params } from "./query.ts";

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
  /** The gig shard holding the account (binding name; "DB" = the catalog, for legacy accounts). */
  shard: string;
}

interface AccountRow {
  id: string;
  user: string | null;
  available_count: number | null;
  gigs_stored: number;
  gigs_removed: number;
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
  (SELECT COUNT(*) FROM gigs g WHERE g.account = a.id AND g.removed_at IS NOT NULL) AS gigs_removed
  FROM accounts a`;

/** An account being purged reads as deleted: absent from the list, 404 by id. */
const NOT_PURGED = notPurgedSql("a.id");

/**
 * One page of accounts in id order across `targets`: each shard answers its own first
 * `limit + 1` rows past the position, merged by id and cut at `limit` (exact, as for gigs), then
 * the page's open failures in one catalog query.
 */
export async function listAccounts(
  catalog: D1Database,
  targets: readonly ShardTarget[],
  request: AccountListRequest,
): Promise<{ rows: AccountSummary[]; hasMore: boolean }> {
  const perShard = await Promise.all(
    targets.map(async (target) => {
      const query = buildAccountListQuery(request, target.skip);
      const { results } = await target.db
        .prepare(query.sql)
        .bind(...query.params)
        .all<AccountRow>();
      return results.map((row) => ({ row, shard: target.name }));
    }),
  );
  const backwards = request.position?.dir === "previous";
  const merged = perShard.flat().sort((a, b) => (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0));
  if (backwards) merged.reverse();
  const page = merged.slice(0, request.limit);
  if (backwards) page.reverse();
  const failures = await openFailuresByAccount(
    catalog,
    page.map((p) => p.row.id),
  );
  return {
    rows: page.map((p) => toSummary(p.row, p.shard, failures.get(p.row.id) ?? 0)),
    hasMore: merged.length > request.limit,
  };
}

/**
 * The SQL of one shard's page: a range of the primary key, two index lookups per row. `skip`
 * names the accounts whose rows here are a move's copy or leftovers (their home is elsewhere).
 */
export function buildAccountListQuery(request: AccountListRequest, skip: readonly string[] = []): BoundQuery {
  const params = new Params();
  const keyset = idKeyset("a.id", false, request.position, params);
  const where = [NOT_PURGED, ...(keyset.where ? [keyset.where] : [])];
  if (skip.length > 0) where.push(`a.id NOT IN (SELECT value FROM json_each(${params.bind(JSON.stringify(skip))}))`);
  const sql = `${SELECT} WHERE ${where.join(" AND ")} ORDER BY ${keyset.order} LIMIT ${params.bind(request.limit + 1)}`;
  return { sql, params: params.values };
}

/** Open failures per account of `accounts` (one catalog query over `failures_by_account`; absent = 0). */
export function buildOpenFailuresQuery(accounts: readonly string[]): BoundQuery {
  return {
    sql: `SELECT account, COUNT(*) AS n FROM failures
      WHERE account IN (SELECT value FROM json_each(?1)) AND status = 'open' GROUP BY account`,
    params: [JSON.stringify(accounts)],
  };
}

export async function openFailuresByAccount(
  catalog: D1Database,
  accounts: readonly string[],
): Promise<Map<string, number>> {
  if (accounts.length === 0) return new Map();
  const query = buildOpenFailuresQuery(accounts);
  const { results } = await catalog
    .prepare(query.sql)
    .bind(...query.params)
    .all<{ account: string; n: number }>();
  return new Map(results.map((r) => [r.account, r.n]));
}

/** One account's summary from its shard `shard` (with its open failures from the catalog), or null. */
export async function getAccount(
  catalog: D1Database,
  shard: { name: string; db: D1Database },
  id: string,
): Promise<AccountSummary | null> {
  const [row, failures] = await Promise.all([
    shard.db.prepare(`${SELECT} WHERE a.id = ?1 AND ${NOT_PURGED}`).bind(id).first<AccountRow>(),
    openFailuresByAccount(catalog, [id]),
  ]);
  return row ? toSummary(row, shard.name, failures.get(id) ?? 0) : null;
}

function toSummary(row: AccountRow, shard: string, openFailures: number): AccountSummary {
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
    open_failures: openFailures,
    last_error: row.last_error,
    last_error_at: row.last_error_at,
    reconcile: {
      last_reconciled_at: msToIso(row.last_reconciled_ms),
      drift_found: row.drift_found,
      drift_total: row.drift_total,
    },
    shard,
  };
}
