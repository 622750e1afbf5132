/**
 * The console's Overview in one D1 round trip (one batch): webhooks per hour for 24 hours by
 * status, the un-queued backlog, backfills in flight and stalled, open failures, and the accounts
 * that need attention. Every statement reads an index range, never a whole table.
 * @module
 */
import { timeOrderedIdFloor } from "../ids.ts";
import type { EventStatus } from "./events.ts";
import type { BoundQuery } from "./query.ts";

export const HOURS = 24;
const HOUR_MS = 3_600_000;
/** A running backfill without a checkpoint for this long is stalled (the cron revives it). */
export const STALL_MS = 15 * 60_000;
export const ATTENTION_LIMIT = 20;

export interface HourCounts {
  /** Start of the hour, ISO 8601. */
  hour: string;
  counts: Record<EventStatus, number>;
}

export interface AttentionAccount {
  id: string;
  available_count: number | null;
  gigs_stored: number;
  backfill_status: string;
  backfill_progress_ms: number | null;
  last_error: string | null;
  last_error_at: string | null;
  open_failures: number;
}

export interface Overview {
  hours: HourCounts[];
  backlog: { events: number; oldestReceivedAt: string | null };
  backfills: { running: number; stalled: number };
  openFailures: number;
  attention: AttentionAccount[];
}

/** The hourly buckets ending with the current hour: `HOURS` of them, oldest first. */
export function hourStarts(nowMs: number): number[] {
  const current = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  return Array.from({ length: HOURS }, (_, i) => current - (HOURS - 1 - i) * HOUR_MS);
}

/** Counts per status of one hour: a range of `events_by_status` per status, covering. */
export function buildHourQuery(startMs: number): BoundQuery {
  return {
    sql: `SELECT status, COUNT(*) AS n FROM events WHERE status IN ('accepted', 'recorded', 'invalid')
      AND id >= ?1 AND id < ?2 GROUP BY status`,
    params: [timeOrderedIdFloor(startMs), timeOrderedIdFloor(startMs + HOUR_MS)],
  };
}

/**
 * Un-queued accepted events and the oldest one's arrival. `INDEXED BY` pins the small partial
 * index: without statistics SQLite would pick `events_by_status` and walk every accepted event.
 */
export const BACKLOG_QUERY: BoundQuery = {
  sql: `SELECT COUNT(*) AS n, (SELECT received_at FROM events INDEXED BY events_not_enqueued
        WHERE status = 'accepted' AND enqueued_at IS NULL ORDER BY id LIMIT 1) AS oldest
      FROM events INDEXED BY events_not_enqueued WHERE status = 'accepted' AND enqueued_at IS NULL`,
  params: [],
};

export function buildBackfillQuery(nowMs: number): BoundQuery {
  return {
    sql: `SELECT COUNT(*) AS running, COALESCE(SUM(backfill_progress_ms < ?1), 0) AS stalled
      FROM accounts WHERE backfill_status = 'running'`,
    params: [nowMs - STALL_MS],
  };
}

export const OPEN_FAILURES_QUERY: BoundQuery = {
  sql: "SELECT COUNT(*) AS n FROM failures WHERE status = 'open'",
  params: [],
};

/**
 * Accounts whose backfill failed or stalled, that carry an error, or that have open failures:
 * each picked through its own index (pinned where SQLite, without statistics, would rather walk
 * the primary key), then enriched per account (gigs stored, open failures).
 * Whether an account is behind Argyle's count needs its gigs counted, so it is shown for these
 * accounts and filtered on the Accounts screen, not searched for across every account here.
 */
export function buildAttentionQuery(nowMs: number): BoundQuery {
  return {
    sql: `WITH picked(id) AS (
        SELECT id FROM accounts WHERE backfill_status = 'failed'
        UNION SELECT id FROM accounts WHERE backfill_status = 'running' AND backfill_progress_ms < ?1
        UNION SELECT id FROM accounts INDEXED BY accounts_with_error WHERE last_error IS NOT NULL
        UNION SELECT account FROM failures WHERE status = 'open' AND account IS NOT NULL
      )
      SELECT a.id, a.available_count, a.backfill_status, a.backfill_progress_ms, a.last_error, a.last_error_at,
        (SELECT COUNT(*) FROM gigs g WHERE g.account = a.id AND g.removed_at IS NULL) AS gigs_stored,
        (SELECT COUNT(*) FROM failures f WHERE f.account = a.id AND f.status = 'open') AS open_failures
      FROM picked p JOIN accounts a ON a.id = p.id
      ORDER BY a.last_error_at IS NULL, a.last_error_at DESC, a.id LIMIT ?2`,
    params: [nowMs - STALL_MS, ATTENTION_LIMIT],
  };
}

export async function readOverview(db: D1Database, nowMs: number = Date.now()): Promise<Overview> {
  const starts = hourStarts(nowMs);
  const queries = [
    ...starts.map(buildHourQuery),
    BACKLOG_QUERY,
    buildBackfillQuery(nowMs),
    OPEN_FAILURES_QUERY,
    buildAttentionQuery(nowMs),
  ];
  const results = await db.batch(queries.map((q) => db.prepare(q.sql).bind(...q.params)));
  const hours = starts.map((start, i): HourCounts => {
    const counts: Record<EventStatus, number> = { accepted: 0, recorded: 0, invalid: 0 };
    for (const row of (results[i]?.results ?? []) as { status: EventStatus; n: number }[]) counts[row.status] = row.n;
    return { hour: new Date(start).toISOString(), counts };
  });
  const rest = results.slice(starts.length);
  const backlog = rest[0]?.results[0] as { n: number; oldest: string | null } | undefined;
  const backfills = rest[1]?.results[0] as { running: number; stalled: number } | undefined;
  const failures = rest[2]?.results[0] as { n: number } | undefined;
  return {
    hours,
    backlog: { events: backlog?.n ?? 0, oldestReceivedAt: backlog?.oldest ?? null },
    backfills: { running: backfills?.running ?? 0, stalled: backfills?.stalled ?? 0 },
    openFailures: failures?.n ?? 0,
    attention: (rest[3]?.results ?? []) as AttentionAccount[],
  };
}
