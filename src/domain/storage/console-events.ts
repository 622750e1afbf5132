/**
 * Finding the events that named a gig. Events keep the count of gig IDs, not the IDs (a payload
 * may name 10,000), so the lookup goes through the gig's account (found in the gig shards): its newest events, whose
 * stored bodies are searched for the ID. Bounded: at most `SCAN_LIMIT` events of that account are
 * read, over `events_by_account`, so the answer costs the same however large the log grows.
 * @module
 */
import type { EventSummary } from "./events-read.ts";
import { type BoundQuery, parseJsonColumn } from "./query.ts";

export const SCAN_LIMIT = 1000;
export const RESULT_LIMIT = 50;

export function buildGigEventsQuery(gigId: string, account: string): BoundQuery {
  return {
    sql: `SELECT e.id, e.received_at, e.event, e.subscription, e.account, e.user, e.status, e.issues,
        e.available_count, e.item_count, e.window_from, e.window_to, e.days_synced, e.gig_ids, e.jobs,
        e.body_sha256, e.body_bytes, e.duplicate_of, e.replay_of, e.enqueued_at
      FROM events e JOIN event_bodies b ON b.sha256 = e.body_sha256
      WHERE e.id IN (SELECT id FROM events WHERE account = ?4 ORDER BY id DESC LIMIT ?2)
        AND instr(lower(CAST(b.body AS TEXT)), ?1) > 0
      ORDER BY e.id DESC LIMIT ?3`,
    params: [gigId, SCAN_LIMIT, RESULT_LIMIT, account],
  };
}

/** The newest events (up to RESULT_LIMIT) of `account` whose body names `gigId`; empty if the gig is unknown (no account). */
export async function findEventsByGig(db: D1Database, gigId: string, account: string | null): Promise<EventSummary[]> {
  if (account === null) return [];
  const q = buildGigEventsQuery(gigId.toLowerCase(), account);
  const { results } = await db
    .prepare(q.sql)
    .bind(...q.params)
    .all<Omit<EventSummary, "issues"> & { issues: string | null }>();
  return results.map((row) => ({ ...row, issues: parseJsonColumn(row.issues) as EventSummary["issues"] }));
}
