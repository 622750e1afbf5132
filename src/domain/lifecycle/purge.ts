/**
 * Purging an account: its gigs, its account row, its failures, and the summaries and raw bodies
 * of its events (a body another event still uses is kept). Marked first, then deleted in bounded
 * chunks, each chunk one D1 transaction that also records its counts, so the purge stays within
 * D1's limits (cloudflare.md §7: bulk deletes chunked, 30 s per batch; D1 runs one query at a
 * time, so big deletes must not hold it long) and resumes after a crash from whatever is left.
 * The last chunk writes the audit row.
 * @module
 */
import { newTimeOrderedId } from "../ids.ts";
import type { PurgeReason } from "./audit.ts";

/** Rows per delete statement. Gigs are small rows; events drag their bodies (up to 1 MiB) along. */
export const PURGE_GIG_CHUNK = 1000;
export const PURGE_EVENT_CHUNK = 200;

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

const NOTHING_LEFT = `NOT EXISTS (SELECT 1 FROM gigs WHERE account = ?1)
  AND NOT EXISTS (SELECT 1 FROM events WHERE account = ?1)
  AND NOT EXISTS (SELECT 1 FROM failures WHERE account = ?1)`;

/**
 * One chunk of the purge, as one batch (one transaction, one subrequest). Each delete is followed
 * by a counter update reading `changes()`, so the counts are exact even across crashes. When
 * nothing of the account is left, the same batch deletes its account row, writes the audit row
 * and completes the marker. The last statement reads the marker back.
 */
export function purgeChunkStatements(db: D1Database, account: string, nowMs: number): D1PreparedStatement[] {
  const count = (column: string) =>
    db.prepare(`UPDATE purged_accounts SET ${column} = ${column} + changes() WHERE account = ?1`).bind(account);
  const nowIso = new Date(nowMs).toISOString();
  return [
    db
      .prepare("DELETE FROM gigs WHERE id IN (SELECT id FROM gigs WHERE account = ?1 LIMIT ?2)")
      .bind(account, PURGE_GIG_CHUNK),
    count("gigs_deleted"),
    // The chunk's bodies, noted before their events go (the events are how we find them).
    db
      .prepare(
        "INSERT OR IGNORE INTO purge_bodies (sha256) SELECT body_sha256 FROM events WHERE account = ?1 ORDER BY id LIMIT ?2",
      )
      .bind(account, PURGE_EVENT_CHUNK),
    db
      .prepare("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE account = ?1 ORDER BY id LIMIT ?2)")
      .bind(account, PURGE_EVENT_CHUNK),
    count("events_deleted"),
    // Only bodies no remaining event uses: a body shared with another event stays while it is needed.
    db.prepare(
      `DELETE FROM event_bodies WHERE sha256 IN (SELECT sha256 FROM purge_bodies)
         AND NOT EXISTS (SELECT 1 FROM events e WHERE e.body_sha256 = event_bodies.sha256)`,
    ),
    count("bodies_deleted"),
    db.prepare("DELETE FROM purge_bodies"),
    db
      .prepare("DELETE FROM failures WHERE id IN (SELECT id FROM failures WHERE account = ?1 LIMIT ?2)")
      .bind(account, PURGE_GIG_CHUNK),
    count("failures_deleted"),
    db.prepare("UPDATE purged_accounts SET progress_ms = ?2 WHERE account = ?1").bind(account, nowMs),
    // Finish, once nothing is left: each statement is a no-op before that, or after it finished.
    db.prepare(`DELETE FROM accounts WHERE id = ?1 AND ${NOTHING_LEFT}`).bind(account),
    db
      .prepare(
        `INSERT INTO audit_log (id, at, action, reason, token_role, account, user, detail)
         SELECT ?2, ?3, 'purge', reason, token_role, account, user,
           json_object('gigs', gigs_deleted, 'events', events_deleted, 'bodies', bodies_deleted,
             'failures', failures_deleted, 'requested_at', requested_at)
         FROM purged_accounts WHERE account = ?1 AND completed_at IS NULL AND ${NOTHING_LEFT}`,
      )
      .bind(account, newTimeOrderedId(nowMs), nowIso),
    db
      .prepare(
        `UPDATE purged_accounts SET completed_at = ?2 WHERE account = ?1 AND completed_at IS NULL AND ${NOTHING_LEFT}`,
      )
      .bind(account, nowIso),
    readPurgeStatement(db, account),
  ];
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
