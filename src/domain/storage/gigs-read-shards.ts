/**
 * Gig reads across gig shards. A list page asks each shard in scope for its own next `limit + 1`
 * rows past the position (the same keyset SQL as one database, over the same index), then merges
 * them in list order and cuts at `limit`: every row of the true next page is among its shard's
 * first `limit + 1`, so the merge is exact and the cursor keeps the last row's key as before.
 * A gig by id asks every shard at once (the directory knows accounts, not gigs).
 * @module
 */
import type { GigListRequest } from "../gig-list-params.ts";
import { notPurgedSql } from "../lifecycle/purged.ts";
import type { ShardTarget } from "../shards/read-scope.ts";
import { buildGigListQuery, type GigListRow } from "./gigs-read.ts";

/**
 * List order: newest start first, gigs without a start last (SQLite's `start_ms DESC` puts NULL
 * last), then id ascending. IDs are lowercase ASCII, so JS string order is SQLite's BINARY order.
 */
export function gigListOrder(a: Pick<GigListRow, "start_ms" | "id">, b: Pick<GigListRow, "start_ms" | "id">): number {
  if (a.start_ms !== b.start_ms) {
    if (a.start_ms === null) return 1;
    if (b.start_ms === null) return -1;
    return b.start_ms - a.start_ms;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** One page of live gigs across `targets`, in list order, plus whether more lie in the direction walked. */
export async function listGigsAcross(
  targets: readonly ShardTarget[],
  request: GigListRequest,
): Promise<{ rows: GigListRow[]; hasMore: boolean }> {
  const perShard = await Promise.all(
    targets.map(async (target) => {
      const query = buildGigListQuery(request, target.skip);
      const { results } = await target.db
        .prepare(query.sql)
        .bind(...query.params)
        .all<GigListRow>();
      return results;
    }),
  );
  // Each shard answered in the direction walked (reversed order for "previous"): merge the same way.
  const backwards = request.position?.dir === "previous";
  const merged = perShard.flat().sort(backwards ? (a, b) => gigListOrder(b, a) : gigListOrder);
  const rows = merged.slice(0, request.limit);
  if (backwards) rows.reverse();
  return { rows, hasMore: merged.length > request.limit };
}

/** A gig's row as one shard holds it, with its account's sync state there (for the freshness headers). */
export interface GigHit {
  shard: string;
  account: string;
  data: string | null;
  /** Neither removed nor a tombstone never fetched: servable. */
  live: boolean;
  removedAt: string | null;
  syncedMs: number | null;
  running: boolean;
}

interface HitRow {
  account: string;
  data: string | null;
  live: number;
  removed_at: string | null;
  synced: number | null;
  running: number | null;
}

/**
 * The shards' rows for gig `id`, all shards asked at once: one round trip's latency, K requests.
 * Rows of a purged account are not read, nor those a finished move left behind (the old home's
 * fence says 'moved' until cleanup deletes them). Removed rows are returned (not live), so a
 * tombstone on the home shard is never outvoted by an old live copy elsewhere.
 */
export async function findGigAcross(targets: readonly ShardTarget[], id: string): Promise<GigHit[]> {
  const sql = `SELECT g.account, g.data, g.removed_at, (g.removed_at IS NULL AND g.data IS NOT NULL) AS live,
      a.last_reconciled_ms AS synced, a.backfill_status = 'running' AS running
    FROM gigs g LEFT JOIN accounts a ON a.id = g.account
    WHERE g.id = ?1 AND ${notPurgedSql("g.account")}
      AND NOT EXISTS (SELECT 1 FROM account_fences f WHERE f.account = g.account AND f.reason = 'moved')`;
  const found = await Promise.all(
    targets.map(async (target) => {
      const row = await target.db.prepare(sql).bind(id).first<HitRow>();
      return row === null
        ? null
        : {
            shard: target.name,
            account: row.account,
            data: row.data,
            live: row.live === 1,
            removedAt: row.removed_at,
            syncedMs: row.synced,
            running: row.running === 1,
          };
    }),
  );
  return found.filter((hit): hit is GigHit => hit !== null);
}

/** Of several shards' rows for one gig, the one from the account's home shard (else the first). */
export function homeHit(hits: readonly GigHit[], homeShard: string | null): GigHit | null {
  return hits.find((hit) => hit.shard === homeShard) ?? hits[0] ?? null;
}
