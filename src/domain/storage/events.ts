/**
 * D1 access for the event log: one row per signed delivery plus its raw body.
 * @module
 */
import type { Issue } from "../webhook-schema.ts";
import { blobBytes } from "./query.ts";

export type EventStatus = "accepted" | "recorded" | "invalid";

/** The summary row written for each delivery. */
export interface EventRecord {
  id: string;
  received_at: string;
  /** When the webhook first arrived (a replay: the original's); dates the event's jobs. */
  arrived_at: string;
  event: string | null;
  subscription: string | null;
  account: string | null;
  user: string | null;
  status: EventStatus;
  issues: Issue[] | null;
  available_count: number | null;
  item_count: number | null;
  window_from: string | null;
  window_to: string | null;
  days_synced: number | null;
  gig_ids: number;
  jobs: number;
  body_sha256: string;
  body_bytes: number;
  replay_of: string | null;
}

/**
 * Records a delivery and its body in one D1 transaction (one subrequest). The body is stored once
 * per distinct SHA-256; `duplicate_of` points at the first event with the same body (replays,
 * being deliberate, are not marked as duplicates). An event with no jobs has nothing to queue,
 * so it is born enqueued. Returns `duplicate_of`.
 */
export async function insertEvent(db: D1Database, rec: EventRecord, body: Uint8Array): Promise<string | null> {
  const [, inserted] = await db.batch<{ duplicate_of: string | null }>([
    db
      .prepare("INSERT OR IGNORE INTO event_bodies (sha256, body, first_received_at) VALUES (?1, ?2, ?3)")
      .bind(rec.body_sha256, body, rec.received_at),
    db
      .prepare(
        `INSERT INTO events (id, received_at, event, subscription, account, user, status, issues,
           available_count, item_count, window_from, window_to, days_synced, gig_ids, jobs,
           body_sha256, body_bytes, replay_of, arrived_at, duplicate_of, enqueued_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
           CASE WHEN ?18 IS NULL THEN (SELECT id FROM events WHERE body_sha256 = ?16 ORDER BY id LIMIT 1) END,
           CASE WHEN ?15 = 0 THEN ?2 END)
         RETURNING duplicate_of`,
      )
      .bind(
        rec.id,
        rec.received_at,
        rec.event,
        rec.subscription,
        rec.account,
        rec.user,
        rec.status,
        rec.issues ? JSON.stringify(rec.issues) : null,
        rec.available_count,
        rec.item_count,
        rec.window_from,
        rec.window_to,
        rec.days_synced,
        rec.gig_ids,
        rec.jobs,
        rec.body_sha256,
        rec.body_bytes,
        rec.replay_of,
        rec.arrived_at,
      ),
  ]);
  return inserted?.results[0]?.duplicate_of ?? null;
}

/** Marks an accepted event's jobs as safely on the queue, so the sweeper leaves it alone. */
export function markEnqueuedStatement(db: D1Database, id: string, at: string): D1PreparedStatement {
  return db.prepare("UPDATE events SET enqueued_at = ?2 WHERE id = ?1").bind(id, at);
}

/** An event whose jobs may not have reached the queue: what the outbox sweeper needs, body aside. */
export interface UnsentEvent {
  id: string;
  received_at: string;
  arrived_at: string | null;
  body_sha256: string;
}

/**
 * Accepted events whose jobs are not marked sent (the queue failed, or the Worker died after the
 * 202), oldest first. Bodies are not read here: the sweeper loads them one at a time, so a run
 * over many large bodies holds one in memory. The partial index holds only unsent rows, so with
 * nothing to send this reads no row at all, however large the table.
 */
export async function listUnsentEvents(
  db: D1Database,
  olderThanId: string,
  limit: number,
): Promise<{ rows: UnsentEvent[]; rowsRead: number }> {
  const { results, meta } = await db
    .prepare(
      `SELECT id, received_at, arrived_at, body_sha256 FROM events INDEXED BY events_not_enqueued
       WHERE status = 'accepted' AND enqueued_at IS NULL AND id < ?1 ORDER BY id LIMIT ?2`,
    )
    .bind(olderThanId, limit)
    .all<UnsentEvent>();
  return { rows: results, rowsRead: meta.rows_read };
}

/** One stored body by its hash, or null if it is gone. */
export async function getBodyBySha(
  db: D1Database,
  sha256: string,
): Promise<{ body: Uint8Array<ArrayBuffer> | null; rowsRead: number }> {
  const { results, meta } = await db
    .prepare("SELECT body FROM event_bodies WHERE sha256 = ?1")
    .bind(sha256)
    .all<{ body: ArrayBuffer | number[] }>();
  const row = results[0];
  return { body: row ? blobBytes(row.body) : null, rowsRead: meta.rows_read };
}

/** What a replay needs of an event: its raw body and its dating, or null if the event is unknown. */
export async function getReplaySource(
  db: D1Database,
  id: string,
): Promise<{ body: Uint8Array<ArrayBuffer>; received_at: string; arrived_at: string | null } | null> {
  const row = await db
    .prepare(
      `SELECT b.body, e.received_at, e.arrived_at FROM events e JOIN event_bodies b ON b.sha256 = e.body_sha256
       WHERE e.id = ?1`,
    )
    .bind(id)
    .first<{ body: ArrayBuffer | number[]; received_at: string; arrived_at: string | null }>();
  if (!row) return null;
  return { body: blobBytes(row.body), received_at: row.received_at, arrived_at: row.arrived_at };
}
