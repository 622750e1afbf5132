/**
 * Purging an account: its gigs and account row (on the gig shard(s) holding it), its failures, and
 * the summaries and raw bodies of its events (catalog; a body another event still uses is kept).
 * Marked first, in the catalog (the authoritative record) and on the shard(s), then deleted in
 * bounded chunks, each chunk one D1 transaction that also records its counts, so the purge stays within
 * D1's limits (cloudflare.md §7: bulk deletes chunked, 30 s per batch; D1 runs one query at a
 * time, so big deletes must not hold it long) and resumes after a crash from whatever is left.
 * The last step writes the audit row (gig counts read from the shards' markers).
 * @module
 */
import { newTimeOrderedId } from "../ids.ts";
import { CATALOG_SHARD } from "../shards/bindings.ts";
import type { DirectoryEntry } from "../shards/directory.ts";
import type { PurgeReason } from "./audit.ts";

/** Rows per delete statement. Gigs are small rows; events drag their bodies (up to 1 MiB) along. */
export const PURGE_GIG_CHUNK = 1000;
export const PURGE_EVENT_CHUNK = 200;

/**
 * The shards holding rows of the account: its home, and during a move the other end. An account
 * never placed has no gig shard part; its legacy tables in the catalog (shard "DB") are swept
 * anyway (one cheap chunk), so rows written there by an older release cannot keep it from finishing.
 */
export function purgeShards(entry: DirectoryEntry | null): string[] {
  if (!entry) return [CATALOG_SHARD];
  return [...new Set([entry.shard, entry.moveTo, entry.moveFrom].filter((s): s is string => s !== null))];
}

export interface PurgeRequest {
  account: string;
  user: string | null;
  reason: PurgeReason;
  tokenRole: string | null;
}

export interface PurgeProgress {
  account: string;
  user: string | null;
  reason: PurgeReason;
  token_role: string | null;
  requested_at: string;
  completed_at: string | null;
  gigs_deleted: number;
  events_deleted: number;
  bodies_deleted: number;
  failures_deleted: number;
}

/**
 * Marks the account purged (the first step: from here on it reads as deleted). Idempotent. A
 * deletion asked for after a retention purge turns the marker into a permanent one and runs again
 * (events may have arrived since).
 */
export function markPurgeStatement(db: D1Database, request: PurgeRequest, nowMs: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO purged_accounts (account, user, reason, token_role, requested_at, progress_ms)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6)
       ON CONFLICT (account) DO UPDATE SET reason = excluded.reason, token_role = excluded.token_role,
         completed_at = NULL, progress_ms = excluded.progress_ms
       WHERE purged_accounts.reason = 'retention' AND excluded.reason <> 'retention'`,
    )
    .bind(request.account, request.user, request.reason, request.tokenRole, new Date(nowMs).toISOString(), nowMs);
}

/** SQL: nothing of the account left in the catalog (events, failures; legacy gigs of shard "DB"). */
const CATALOG_NOTHING_LEFT = `NOT EXISTS (SELECT 1 FROM gigs WHERE account = ?1)
  AND NOT EXISTS (SELECT 1 FROM events WHERE account = ?1)
  AND NOT EXISTS (SELECT 1 FROM failures WHERE account = ?1)`;

/** What a shard chunk reads back from the shard's marker. */
export interface ShardPurgeProgress {
  gigs_deleted: number;
  /** 1 while gigs of the account are left on this shard. */
  more: number;
}

/**
 * One chunk of the purge on a gig shard (or the catalog serving as shard "DB"), as one batch: the
 * shard's marker (idempotent: every write there checks it, so nothing lands after this), one chunk
 * of gigs deleted and counted in the shard's marker by `changes()` (exact across crashes), and the
 * marker read back with whether gigs are left.
 */
export function shardPurgeChunkStatements(
  shard: D1Database,
  request: PurgeRequest,
  nowMs: number,
): D1PreparedStatement[] {
  const account = request.account;
  return [
    markPurgeStatement(shard, request, nowMs),
    shard
      .prepare("DELETE FROM gigs WHERE id IN (SELECT id FROM gigs WHERE account = ?1 LIMIT ?2)")
      .bind(account, PURGE_GIG_CHUNK),
    shard
      .prepare(
        "UPDATE purged_accounts SET gigs_deleted = gigs_deleted + changes(), progress_ms = ?2 WHERE account = ?1",
      )
      .bind(account, nowMs),
    shard
      .prepare(
        `SELECT gigs_deleted, EXISTS (SELECT 1 FROM gigs WHERE account = ?1) AS more
         FROM purged_accounts WHERE account = ?1`,
      )
      .bind(account),
  ];
}

/**
 * One chunk of the purge's catalog part (events, their bodies, failures), as one batch, each
 * delete counted in the catalog's marker by `changes()`. The last statement reads the marker back.
 */
export function catalogPurgeChunkStatements(
  catalog: D1Database,
  account: string,
  nowMs: number,
): D1PreparedStatement[] {
  const count = (column: string) =>
    catalog.prepare(`UPDATE purged_accounts SET ${column} = ${column} + changes() WHERE account = ?1`).bind(account);
  return [
    // The chunk's bodies, noted before their events go (the events are how we find them).
    catalog
      .prepare(
        "INSERT OR IGNORE INTO purge_bodies (sha256) SELECT body_sha256 FROM events WHERE account = ?1 ORDER BY id LIMIT ?2",
      )
      .bind(account, PURGE_EVENT_CHUNK),
    catalog
      .prepare("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE account = ?1 ORDER BY id LIMIT ?2)")
      .bind(account, PURGE_EVENT_CHUNK),
    count("events_deleted"),
    // Only bodies no remaining event uses: a body shared with another event stays while it is needed.
    catalog.prepare(
      `DELETE FROM event_bodies WHERE sha256 IN (SELECT sha256 FROM purge_bodies)
         AND NOT EXISTS (SELECT 1 FROM events e WHERE e.body_sha256 = event_bodies.sha256)`,
    ),
    count("bodies_deleted"),
    catalog.prepare("DELETE FROM purge_bodies"),
    catalog
      .prepare("DELETE FROM failures WHERE id IN (SELECT id FROM failures WHERE account = ?1 LIMIT ?2)")
      .bind(account, PURGE_GIG_CHUNK),
    count("failures_deleted"),
    catalog.prepare("UPDATE purged_accounts SET progress_ms = ?2 WHERE account = ?1").bind(account, nowMs),
    readPurgeStatement(catalog, account),
    catalog
      .prepare(
        "SELECT EXISTS (SELECT 1 FROM events WHERE account = ?1) OR EXISTS (SELECT 1 FROM failures WHERE account = ?1) AS more",
      )
      .bind(account),
  ];
}

/**
 * The shard's last step, once its gigs are gone: the account's sync-state row goes, and the
 * shard's marker is completed (it stays: it is what keeps late work from storing anything there).
 * Not for shard "DB", whose marker is the catalog's own (completed with the audit row). Reads the
 * marker's gig count back.
 */
export function shardFinishStatements(
  shard: D1Database,
  account: string,
  nowIso: string,
  completeMarker: boolean,
): D1PreparedStatement[] {
  return [
    shard
      .prepare("DELETE FROM accounts WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM gigs WHERE account = ?1)")
      .bind(account),
    ...(completeMarker
      ? [
          shard
            .prepare(
              `UPDATE purged_accounts SET completed_at = ?2 WHERE account = ?1 AND completed_at IS NULL
                 AND NOT EXISTS (SELECT 1 FROM gigs WHERE account = ?1)`,
            )
            .bind(account, nowIso),
        ]
      : []),
    shard.prepare("SELECT gigs_deleted FROM purged_accounts WHERE account = ?1").bind(account),
  ];
}

/**
 * The catalog's last step, once every shard is done and its own chunks left nothing: records the
 * gigs the shards counted, writes the audit row with every total, and completes the authoritative
 * marker. Each statement is a no-op once the marker is complete, so a redelivery audits once.
 */
export function catalogFinishStatements(
  catalog: D1Database,
  account: string,
  gigsDeleted: number,
  nowMs: number,
): D1PreparedStatement[] {
  const nowIso = new Date(nowMs).toISOString();
  return [
    catalog
      .prepare(
        `UPDATE purged_accounts SET gigs_deleted = ?2 WHERE account = ?1 AND completed_at IS NULL AND ${CATALOG_NOTHING_LEFT}`,
      )
      .bind(account, gigsDeleted),
    catalog
      .prepare(
        `INSERT INTO audit_log (id, at, action, reason, token_role, account, user, detail)
         SELECT ?2, ?3, 'purge', reason, token_role, account, user,
           json_object('gigs', gigs_deleted, 'events', events_deleted, 'bodies', bodies_deleted,
             'failures', failures_deleted, 'requested_at', requested_at)
         FROM purged_accounts WHERE account = ?1 AND completed_at IS NULL AND ${CATALOG_NOTHING_LEFT}`,
      )
      .bind(account, newTimeOrderedId(nowMs), nowIso),
    catalog
      .prepare(
        `UPDATE purged_accounts SET completed_at = ?2 WHERE account = ?1 AND completed_at IS NULL AND ${CATALOG_NOTHING_LEFT}`,
      )
      .bind(account, nowIso),
    readPurgeStatement(catalog, account),
  ];
}

/** Progress seen so far, written to the catalog's marker once per message (the cron's stall check reads it). */
export function catalogProgressStatement(
  catalog: D1Database,
  account: string,
  gigsDeleted: number,
  nowMs: number,
): D1PreparedStatement {
  return catalog
    .prepare(
      "UPDATE purged_accounts SET progress_ms = ?2, gigs_deleted = MAX(gigs_deleted, ?3) WHERE account = ?1 AND completed_at IS NULL",
    )
    .bind(account, nowMs, gigsDeleted);
}

export function readPurgeStatement(db: D1Database, account: string): D1PreparedStatement {
  return db
    .prepare(
      `SELECT account, user, reason, token_role, requested_at, completed_at, gigs_deleted, events_deleted,
         bodies_deleted, failures_deleted FROM purged_accounts WHERE account = ?1`,
    )
    .bind(account);
}

/** The purge's state, or null if the account was never purged. */
export function readPurge(db: D1Database, account: string): Promise<PurgeProgress | null> {
  return readPurgeStatement(db, account).first<PurgeProgress>();
}

/** Purges not finished and without a chunk since `beforeMs`: their message was lost. */
export async function stalledPurges(
  db: D1Database,
  beforeMs: number,
  limit: number,
): Promise<{ account: string; user: string | null; reason: PurgeReason; token_role: string | null }[]> {
  const { results } = await db
    .prepare(
      `SELECT account, user, reason, token_role FROM purged_accounts
       WHERE completed_at IS NULL AND progress_ms < ?1 ORDER BY progress_ms LIMIT ?2`,
    )
    .bind(beforeMs, limit)
    .all<{ account: string; user: string | null; reason: PurgeReason; token_role: string | null }>();
  return results;
}

/** Pushes a revived purge's progress forward, so the next cron run leaves it to its message. */
export function nudgePurgeStatement(db: D1Database, account: string, nowMs: number): D1PreparedStatement {
  return db.prepare("UPDATE purged_accounts SET progress_ms = ?2 WHERE account = ?1").bind(account, nowMs);
}
