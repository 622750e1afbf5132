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
           body_sha256, body_bytes, replay_of, duplicate_of, enqueued_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
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
      ),
  ]);
  return inserted?.results[0]?.duplicate_of ?? null;
}

/** Marks an accepted event's jobs as safely on the queue, so the sweeper leaves it alone. */
export function markEnqueuedStatement(db: D1Database, id: string, at: string): D1PreparedStatement {
  return db.prepare("UPDATE events SET enqueued_at = ?2 WHERE id = ?1").bind(id, at);
}

/**
 * Undoes `insertEvent` after the queue refused its jobs, so the sender's redelivery leaves the
 * log exactly as if the first attempt had never happened. The body goes too unless shared.
 * Deliveries of the same body filed meanwhile as duplicates of this row (Argyle sending it twice
 * at once) must not point at a row that is gone: they take over what it pointed at, or, if it was
 * the original, the oldest of them becomes the original and the others point at it.
 */
export async function deleteEvent(db: D1Database, id: string, sha256: string): Promise<void> {
  // Uncorrelated subqueries run once per statement, before any row changes; the body filter
  // keeps every statement on the events_by_body index.
  await db.batch([
    db
      .prepare(
        `UPDATE events SET duplicate_of = (SELECT d.duplicate_of FROM events d WHERE d.id = ?1)
         WHERE body_sha256 = ?2 AND duplicate_of = ?1
           AND (SELECT d.duplicate_of FROM events d WHERE d.id = ?1) IS NOT NULL`,
      )
      .bind(id, sha256),
    db
      .prepare(
        `UPDATE events SET duplicate_of = (SELECT MIN(d.id) FROM events d WHERE d.body_sha256 = ?2 AND d.duplicate_of = ?1)
         WHERE body_sha256 = ?2 AND duplicate_of = ?1
           AND id > (SELECT MIN(d.id) FROM events d WHERE d.body_sha256 = ?2 AND d.duplicate_of = ?1)`,
      )
      .bind(id, sha256),
    db.prepare("UPDATE events SET duplicate_of = NULL WHERE body_sha256 = ?2 AND duplicate_of = ?1").bind(id, sha256),
    db.prepare("DELETE FROM events WHERE id = ?1").bind(id),
    db
      .prepare(
        "DELETE FROM event_bodies WHERE sha256 = ?1 AND NOT EXISTS (SELECT 1 FROM events WHERE body_sha256 = ?1)",
      )
      .bind(sha256),
  ]);
}

/** Accepted events whose jobs never reached the queue (crash or double fault), oldest first. */
export async function listUnenqueuedEvents(
  db: D1Database,
  olderThanId: string,
  limit: number,
): Promise<{ id: string; received_at: string; body: Uint8Array<ArrayBuffer> }[]> {
  const { results } = await db
    .prepare(
      `SELECT e.id, e.received_at, b.body FROM events e JOIN event_bodies b ON b.sha256 = e.body_sha256
       WHERE e.status = 'accepted' AND e.enqueued_at IS NULL AND e.id < ?1 ORDER BY e.id LIMIT ?2`,
    )
    .bind(olderThanId, limit)
    .all<{ id: string; received_at: string; body: ArrayBuffer | number[] }>();
  return results.map((row) => ({ ...row, body: blobBytes(row.body) }));
}

/** The raw body of an event, or null if the event is unknown. */
export async function getEventBody(db: D1Database, id: string): Promise<Uint8Array<ArrayBuffer> | null> {
  const row = await db
    .prepare("SELECT b.body FROM events e JOIN event_bodies b ON b.sha256 = e.body_sha256 WHERE e.id = ?1")
    .bind(id)
    .first<{ body: ArrayBuffer | number[] }>();
  if (!row) return null;
  return blobBytes(row.body);
}
