/**
 * D1 writes for the mirror's gigs table. Writes are idempotent and order-independent, because
 * queue delivery is at-least-once and unordered:
 * - every write carries `synced_ms`, the time we learned the gig's state (a fetch's start, or
 *   the arrival of a removal notice); an observation older than the stored one changes nothing;
 * - gig data is never replaced by data with an older `updated_at`;
 * - a tombstone keeps the row (id, removed_at, last known object); seeing the gig alive in a
 *   later observation revives it.
 * @module
 */
import type { FetchedGig } from "../argyle-client.ts";
import { toEpochMs } from "../gig-schema.ts";
import { writableSql } from "../shards/fences.ts";

/** D1 allows 100 bound parameters per statement. */
export const MAX_PARAMS = 100;

const UPSERT_COLUMNS = [
  "id",
  "account",
  "user",
  "employer",
  "status",
  "type",
  "start_datetime",
  "end_datetime",
  "start_ms",
  "end_ms",
  "updated_at",
  "updated_ms",
  "data",
  "synced_ms",
  "fetched_at",
] as const;

/** Columns taken from the newer object; the rest are bookkeeping handled below. */
const DATA_COLUMNS = UPSERT_COLUMNS.filter((c) => !["id", "synced_ms", "fetched_at", "user"].includes(c));

// The stored object is replaced only if the incoming one is not older. A tombstone's object is
// replaced by any live observation (that is the revival).
const INCOMING_IS_NEWER =
  "(gigs.removed_at IS NOT NULL OR gigs.updated_ms IS NULL OR excluded.updated_ms IS NULL OR excluded.updated_ms >= gigs.updated_ms)";

function upsertSql(rows: number): string {
  const tuple = `(${UPSERT_COLUMNS.map(() => "?").join(", ")})`;
  // INSERT … SELECT from the rows, so the purge and fence checks are part of the same statement: a
  // page that lands just after its account was marked purged, or fenced for a move, stores nothing
  // (column2 is the account).
  return `INSERT INTO gigs (${UPSERT_COLUMNS.join(", ")})
SELECT * FROM (VALUES ${Array(rows).fill(tuple).join(", ")}) WHERE ${writableSql("column2")}
ON CONFLICT (id) DO UPDATE SET
  ${DATA_COLUMNS.map((c) => `${c} = CASE WHEN ${INCOMING_IS_NEWER} THEN excluded.${c} ELSE gigs.${c} END`).join(",\n  ")},
  user = COALESCE(excluded.user, gigs.user),
  synced_ms = excluded.synced_ms,
  fetched_at = excluded.fetched_at,
  removed_at = NULL
WHERE excluded.synced_ms >= gigs.synced_ms`;
}

const ROWS_PER_UPSERT = Math.floor(MAX_PARAMS / UPSERT_COLUMNS.length);

/** A gig seen alive at Argyle by a request that started at `syncedMs`. */
export interface ObservedGig extends FetchedGig {
  syncedMs: number;
}

/**
 * Statements upserting gigs seen alive at Argyle, chunked to D1's parameter limit. `user` comes
 * from the webhook behind the job: gig objects carry no user.
 */
export function upsertGigStatements(
  db: D1Database,
  gigs: readonly ObservedGig[],
  user: string | null,
): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < gigs.length; i += ROWS_PER_UPSERT) {
    const chunk = gigs.slice(i, i + ROWS_PER_UPSERT);
    const params = chunk.flatMap(({ gig, json, syncedMs }) => [
      gig.id,
      gig.account,
      user,
      gig.employer,
      gig.status,
      gig.type,
      gig.start_datetime,
      gig.end_datetime,
      toEpochMs(gig.start_datetime),
      toEpochMs(gig.end_datetime),
      gig.updated_at,
      toEpochMs(gig.updated_at),
      json,
      syncedMs,
      new Date(syncedMs).toISOString(),
    ]);
    statements.push(db.prepare(upsertSql(chunk.length)).bind(...params));
  }
  return statements;
}

const TOMBSTONE_COLUMNS = 5;
const ROWS_PER_TOMBSTONE = Math.floor(MAX_PARAMS / TOMBSTONE_COLUMNS);

/** A gig known to be gone at Argyle as of `syncedMs` (a 404, or a removal notice's arrival). */
export interface Removal {
  id: string;
  syncedMs: number;
}

/**
 * Statements tombstoning removed gigs. Gigs we never stored get a bare tombstone, so a late,
 * older "updated" for them is recognised as stale instead of resurrecting them.
 */
export function tombstoneStatements(
  db: D1Database,
  removals: readonly Removal[],
  account: string,
  user: string | null,
): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < removals.length; i += ROWS_PER_TOMBSTONE) {
    const chunk = removals.slice(i, i + ROWS_PER_TOMBSTONE);
    const tuples = chunk.map(() => "(?, ?, ?, ?, ?)").join(", ");
    statements.push(
      db
        .prepare(
          `INSERT INTO gigs (id, account, user, synced_ms, removed_at)
           SELECT * FROM (VALUES ${tuples}) WHERE ${writableSql("column2")}
           ON CONFLICT (id) DO UPDATE SET removed_at = COALESCE(gigs.removed_at, excluded.removed_at),
             synced_ms = excluded.synced_ms
           WHERE excluded.synced_ms > gigs.synced_ms`,
        )
        .bind(...chunk.flatMap((r) => [r.id, account, user, r.syncedMs, new Date(r.syncedMs).toISOString()])),
    );
  }
  return statements;
}

/** IDs per freshness query: D1's 100 bound parameters, less the time. */
export const FRESHNESS_QUERY_IDS = MAX_PARAMS - 1;

/**
 * The IDs among `ids` whose stored state was learned at or after `sinceMs` (fresh: skip them).
 * One query per 99 IDs; a fetch job (42 IDs) needs one.
 */
export async function freshGigIds(db: D1Database, ids: readonly string[], sinceMs: number): Promise<Set<string>> {
  const fresh = new Set<string>();
  for (let i = 0; i < ids.length; i += FRESHNESS_QUERY_IDS) {
    const chunk = ids.slice(i, i + FRESHNESS_QUERY_IDS);
    const { results } = await db
      .prepare(`SELECT id FROM gigs WHERE synced_ms >= ?1 AND id IN (${chunk.map((_, n) => `?${n + 2}`).join(", ")})`)
      .bind(sinceMs, ...chunk)
      .all<{ id: string }>();
    for (const { id } of results) fresh.add(id);
  }
  return fresh;
}
