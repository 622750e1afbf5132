/**
 * The console's Overview in two rounds: one catalog batch (webhooks per hour for 24 hours by
 * status, the un-queued backlog, open failures and the accounts they belong to, the shards'
 * rows, accounts per shard, accounts mid-move), then one batch per shard at once (backfills in
 * flight and stalled, the accounts that need attention, live gigs counted up to a cap), summed and
 * merged. Every statement reads an index range, never a whole table.
 * @module
 */

import { timeOrderedIdFloor } from "../ids.ts";
import { CATALOG_SHARD, shardDb, shardNames } from "../shards/bindings.ts";
import { type DirectoryEntry, type MoveState, notHomeByShard } from "../shards/directory.ts";
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

/** One shard's line on the Overview. */
export interface ShardOverview {
  name: string;
  /** From the catalog's `shards` row; a bound shard without a row is open. */
  status: "open" | "closed";
  /** Accounts the directory places there (its home). */
  accounts: number;
  /** Live gigs, counted up to `GIG_COUNT_CAP` (past it: `gigsCapped`). */
  gigs: number;
  gigsCapped: boolean;
  /** As the cron last measured it; null if never measured. */
  sizeBytes: number | null;
  measuredAt: string | null;
  /** The newest shard migration applied there, if recorded. */
  migration: string | null;
}

export interface Overview {
  hours: HourCounts[];
  backlog: { events: number; oldestReceivedAt: string | null };
  backfills: { running: number; stalled: number };
  openFailures: number;
  attention: AttentionAccount[];
  shards: ShardOverview[];
}

/**
 * Live gigs are counted per shard on every Overview load only up to this many (an index walk of
 * that many entries at most): past it the shard's measured size says more than a count would.
 */
export const GIG_COUNT_CAP = 10_000;

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

/** On a shard, `skip` = accounts whose rows there are a move's copy (see shards/read-scope.ts). */
export function buildBackfillQuery(nowMs: number, skip: readonly string[] = []): BoundQuery {
  return {
    sql: `SELECT COUNT(*) AS running, COALESCE(SUM(backfill_progress_ms < ?1), 0) AS stalled
      FROM accounts WHERE backfill_status = 'running' AND id NOT IN (SELECT value FROM json_each(?2))`,
    params: [nowMs - STALL_MS, JSON.stringify(skip)],
  };
}

/** Accounts with open failures, and how many each (catalog: a range of `failures_by_status`). */
export const OPEN_FAILURE_ACCOUNTS_QUERY: BoundQuery = {
  sql: `SELECT account, COUNT(*) AS n FROM failures INDEXED BY failures_by_status
    WHERE status = 'open' AND account IS NOT NULL GROUP BY account`,
  params: [],
};

/** The shards' rows (catalog: few). */
export const SHARD_ROWS_QUERY: BoundQuery = {
  sql: "SELECT name, status, size_bytes, measured_ms, migration FROM shards",
  params: [],
};

/** Accounts per home shard (catalog: a covering walk of `directory_by_shard`, one entry per account). */
export const DIRECTORY_COUNTS_QUERY: BoundQuery = {
  sql: "SELECT shard, COUNT(*) AS n FROM directory GROUP BY shard",
  params: [],
};

/** Accounts mid-move (catalog: `directory_moving`, few). */
export const MOVING_QUERY: BoundQuery = {
  sql: `SELECT account, shard, user, move_state, move_to, move_from FROM directory INDEXED BY directory_moving
    WHERE move_state IS NOT NULL`,
  params: [],
};

/** Live gigs on a shard, up to the cap: a walk of a covering index that stops there. */
export const GIG_COUNT_QUERY: BoundQuery = {
  sql: "SELECT COUNT(*) AS n FROM (SELECT 1 FROM gigs WHERE removed_at IS NULL LIMIT ?1)",
  params: [GIG_COUNT_CAP + 1],
};

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
export function buildAttentionQuery(
  nowMs: number,
  failing: readonly string[] = [],
  skip: readonly string[] = [],
): BoundQuery {
  // Failures live in the catalog: the accounts with open failures come in as a list (?3).
  return {
    sql: `WITH picked(id) AS (
        SELECT id FROM accounts WHERE backfill_status = 'failed'
        UNION SELECT id FROM accounts WHERE backfill_status = 'running' AND backfill_progress_ms < ?1
        UNION SELECT id FROM accounts INDEXED BY accounts_with_error WHERE last_error IS NOT NULL
        UNION SELECT value FROM json_each(?3)
      )
      SELECT a.id, a.available_count, a.backfill_status, a.backfill_progress_ms, a.last_error, a.last_error_at,
        (SELECT COUNT(*) FROM gigs g WHERE g.account = a.id AND g.removed_at IS NULL) AS gigs_stored
      FROM picked p JOIN accounts a ON a.id = p.id
      WHERE a.id NOT IN (SELECT value FROM json_each(?4))
      ORDER BY a.last_error_at IS NULL, a.last_error_at DESC, a.id LIMIT ?2`,
    params: [nowMs - STALL_MS, ATTENTION_LIMIT, JSON.stringify(failing), JSON.stringify(skip)],
  };
}

/** The attention list's order: newest error first, accounts without one after, then id. */
function attentionOrder(a: AttentionAccount, b: AttentionAccount): number {
  if ((a.last_error_at === null) !== (b.last_error_at === null)) return a.last_error_at === null ? 1 : -1;
  if (a.last_error_at !== b.last_error_at) return (a.last_error_at ?? "") > (b.last_error_at ?? "") ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

interface MovingRow {
  account: string;
  shard: string;
  user: string | null;
  move_state: MoveState;
  move_to: string | null;
  move_from: string | null;
}

interface ShardRow {
  name: string;
  status: "open" | "closed";
  size_bytes: number;
  measured_ms: number | null;
  migration: string | null;
}

const prepare = (db: D1Database, q: BoundQuery) => db.prepare(q.sql).bind(...q.params);

/**
 * The Overview. `env` carries the shard bindings; `catalog` is the DB binding. The catalog is
 * read as legacy shard "DB" too while its `shards` row exists.
 */
export async function readOverview(env: object, catalog: D1Database, nowMs: number = Date.now()): Promise<Overview> {
  const starts = hourStarts(nowMs);
  const queries = [
    ...starts.map(buildHourQuery),
    BACKLOG_QUERY,
    OPEN_FAILURES_QUERY,
    OPEN_FAILURE_ACCOUNTS_QUERY,
    SHARD_ROWS_QUERY,
    DIRECTORY_COUNTS_QUERY,
    MOVING_QUERY,
  ];
  const results = await catalog.batch(queries.map((q) => prepare(catalog, q)));
  const hours = starts.map((start, i): HourCounts => {
    const counts: Record<EventStatus, number> = { accepted: 0, recorded: 0, invalid: 0 };
    for (const row of (results[i]?.results ?? []) as { status: EventStatus; n: number }[]) counts[row.status] = row.n;
    return { hour: new Date(start).toISOString(), counts };
  });
  const rest = results.slice(starts.length);
  const backlog = rest[0]?.results[0] as { n: number; oldest: string | null } | undefined;
  const failures = rest[1]?.results[0] as { n: number } | undefined;
  const failing = new Map(((rest[2]?.results ?? []) as { account: string; n: number }[]).map((r) => [r.account, r.n]));
  const shardRows = new Map(((rest[3]?.results ?? []) as ShardRow[]).map((r) => [r.name, r]));
  const placed = new Map(((rest[4]?.results ?? []) as { shard: string; n: number }[]).map((r) => [r.shard, r.n]));
  const moving = ((rest[5]?.results ?? []) as MovingRow[]).map(
    (r): DirectoryEntry => ({
      account: r.account,
      shard: r.shard,
      user: r.user,
      moveState: r.move_state,
      moveTo: r.move_to,
      moveFrom: r.move_from,
    }),
  );
  const skip = notHomeByShard(moving);
  const names = [...(shardRows.has(CATALOG_SHARD) ? [CATALOG_SHARD] : []), ...shardNames(env)];
  const failingIds = [...failing.keys()];

  const perShard = await Promise.all(
    names.map(async (name) => {
      const db = shardDb(env, name);
      const skipped = skip.get(name) ?? [];
      const [backfills, attention, gigs] = await db.batch([
        prepare(db, buildBackfillQuery(nowMs, skipped)),
        prepare(db, buildAttentionQuery(nowMs, failingIds, skipped)),
        prepare(db, GIG_COUNT_QUERY),
      ]);
      return {
        name,
        backfills: (backfills?.results[0] ?? { running: 0, stalled: 0 }) as { running: number; stalled: number },
        attention: (attention?.results ?? []) as Omit<AttentionAccount, "open_failures">[],
        gigs: (gigs?.results[0] as { n: number } | undefined)?.n ?? 0,
      };
    }),
  );

  return {
    hours,
    backlog: { events: backlog?.n ?? 0, oldestReceivedAt: backlog?.oldest ?? null },
    backfills: {
      running: perShard.reduce((sum, s) => sum + s.backfills.running, 0),
      stalled: perShard.reduce((sum, s) => sum + s.backfills.stalled, 0),
    },
    openFailures: failures?.n ?? 0,
    attention: perShard
      .flatMap((s) => s.attention)
      .map((a) => ({ ...a, open_failures: failing.get(a.id) ?? 0 }))
      .sort(attentionOrder)
      .slice(0, ATTENTION_LIMIT),
    shards: perShard.map((s): ShardOverview => {
      const row = shardRows.get(s.name);
      return {
        name: s.name,
        status: row?.status ?? "open",
        accounts: placed.get(s.name) ?? 0,
        gigs: Math.min(s.gigs, GIG_COUNT_CAP),
        gigsCapped: s.gigs > GIG_COUNT_CAP,
        sizeBytes: row?.measured_ms != null ? row.size_bytes : null,
        measuredAt: row?.measured_ms != null ? new Date(row.measured_ms).toISOString() : null,
        migration: row?.migration ?? null,
      };
    }),
  };
}
