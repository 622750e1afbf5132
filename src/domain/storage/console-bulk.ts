/**
 * The selections behind the bulk actions (POST /api/events/replay, POST /api/failures/retry and
 * the console's confirmations): the ids of the next batch, newest first below a cursor, and how
 * many match in all. Each is one query over `events_by_status` / `failures_by_status`.
 * @module
 */
import { type BoundQuery, Params } from "./query.ts";

/** Which `invalid` events a bulk replay takes. `minId` is the `since` bound as an id floor. */
export interface InvalidEventFilter {
  event?: string;
  account?: string;
  minId?: string;
}

/** Which open failures a bulk retry takes. */
export interface OpenFailureFilter {
  account?: string;
  kind?: string;
  reason?: string;
}

function invalidEventsWhere(filter: InvalidEventFilter, below: string | null, params: Params): string {
  // Originals only, and only those not yet fixed: a replay row is itself a replay's outcome, and an
  // original whose replay was accepted (or recorded) has had its work done.
  const where = [
    "status = 'invalid'",
    "replay_of IS NULL",
    "NOT EXISTS (SELECT 1 FROM events r WHERE r.replay_of = events.id AND r.status <> 'invalid')",
  ];
  if (filter.event !== undefined) where.push(`event = ${params.bind(filter.event)}`);
  if (filter.account !== undefined) where.push(`account = ${params.bind(filter.account)}`);
  if (filter.minId !== undefined) where.push(`id >= ${params.bind(filter.minId)}`);
  if (below !== null) where.push(`id < ${params.bind(below)}`);
  return where.join(" AND ");
}

function openFailuresWhere(filter: OpenFailureFilter, below: string | null, params: Params): string {
  const where = ["status = 'open'"];
  if (filter.account !== undefined) where.push(`account = ${params.bind(filter.account)}`);
  if (filter.kind !== undefined) where.push(`kind = ${params.bind(filter.kind)}`);
  if (filter.reason !== undefined) where.push(`reason = ${params.bind(filter.reason)}`);
  if (below !== null) where.push(`id < ${params.bind(below)}`);
  return where.join(" AND ");
}

/**
 * Ids of up to `limit + 1` matching invalid events below `below`, newest first. Walking down from
 * the newest means the replays a batch creates (newer ids) are never picked up by a later batch.
 */
export function buildInvalidEventBatchQuery(
  filter: InvalidEventFilter,
  below: string | null,
  limit: number,
): BoundQuery {
  const params = new Params();
  const where = invalidEventsWhere(filter, below, params);
  return {
    sql: `SELECT id FROM events WHERE ${where} ORDER BY id DESC LIMIT ${params.bind(limit + 1)}`,
    params: params.values,
  };
}

export function buildInvalidEventCountQuery(filter: InvalidEventFilter): BoundQuery {
  const params = new Params();
  return {
    sql: `SELECT COUNT(*) AS n FROM events WHERE ${invalidEventsWhere(filter, null, params)}`,
    params: params.values,
  };
}

export function buildOpenFailureBatchQuery(filter: OpenFailureFilter, below: string | null, limit: number): BoundQuery {
  const params = new Params();
  const where = openFailuresWhere(filter, below, params);
  return {
    sql: `SELECT id FROM failures WHERE ${where} ORDER BY id DESC LIMIT ${params.bind(limit + 1)}`,
    params: params.values,
  };
}

export function buildOpenFailureCountQuery(filter: OpenFailureFilter): BoundQuery {
  const params = new Params();
  return {
    sql: `SELECT COUNT(*) AS n FROM failures WHERE ${openFailuresWhere(filter, null, params)}`,
    params: params.values,
  };
}

/** The ids of one batch, and whether more match beyond it. */
export async function selectBatch(
  db: D1Database,
  query: BoundQuery,
  limit: number,
): Promise<{ ids: string[]; hasMore: boolean }> {
  const { results } = await db
    .prepare(query.sql)
    .bind(...query.params)
    .all<{ id: string }>();
  return { ids: results.slice(0, limit).map((r) => r.id), hasMore: results.length > limit };
}

export async function countMatching(db: D1Database, query: BoundQuery): Promise<number> {
  const row = await db
    .prepare(query.sql)
    .bind(...query.params)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
