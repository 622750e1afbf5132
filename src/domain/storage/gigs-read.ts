/**
 * Reads of the gig mirror for the Argyle-compatible API. Gigs are served as the JSON text Argyle
 * returned (`data`), never re-serialised. Lists are keyset pages on (start_ms, id) over the partial
 * indexes `gigs_by_account_start`, `gigs_by_user_start` and `gigs_by_start`, which cover only live
 * rows, so every query repeats their `removed_at IS NULL`.
 * @module
 */
import type { GigFilters, GigKey, GigListRequest } from "../gig-list-params.ts";
import { notPurgedSql } from "../lifecycle/purged.ts";
import { type BoundQuery, fetchPage, Params } from "./query.ts";

export interface GigListRow {
  id: string;
  start_ms: number | null;
  data: string;
}

/** The JSON text of a live gig, or null if it is unknown, removed, or never fetched. */
export async function getGigJson(db: D1Database, id: string): Promise<string | null> {
  const row = await db
    .prepare(
      `SELECT data FROM gigs WHERE id = ?1 AND removed_at IS NULL AND data IS NOT NULL AND ${notPurgedSql("gigs.account")}`,
    )
    .bind(id)
    .first<{ data: string }>();
  return row?.data ?? null;
}

/** One page of live gigs in (start_ms, id) order, plus whether more lie in the direction walked. */
export async function listGigs(
  db: D1Database,
  request: GigListRequest,
): Promise<{ rows: GigListRow[]; hasMore: boolean }> {
  return fetchPage<GigListRow>(db, buildGigListQuery(request), request.limit, request.position);
}

/**
 * The SQL of one page. SQLite sorts NULL first, which is where gigs without a start belong, but a
 * row-value comparison with NULL is never true; so a keyset that crosses the NULL/non-NULL border
 * becomes two index range scans joined by UNION ALL, each limited, and merged in order.
 */
export function buildGigListQuery(request: GigListRequest): BoundQuery {
  const { position } = request;
  const params = new Params();
  const backwards = position?.dir === "previous";
  const order = backwards ? "start_ms DESC, id DESC" : "start_ms, id";
  const { filters, branches } = position
    ? keyset(request.filters, position.key, backwards, position.inclusive, params)
    : { filters: request.filters, branches: [[]] };
  const base = filterConditions(filters, params);
  const limit = params.bind(request.limit + 1);
  const select = (extra: string[]) =>
    `SELECT id, start_ms, data FROM gigs WHERE ${[...base, ...extra].join(" AND ")} ORDER BY ${order} LIMIT ${limit}`;
  const [only = [], second] = branches;
  const sql =
    second === undefined
      ? select(only)
      : `SELECT id, start_ms, data FROM (${select(only)}) UNION ALL ` +
        `SELECT id, start_ms, data FROM (${select(second)}) ORDER BY ${order} LIMIT ${limit}`;
  return { sql, params: params.values };
}

function filterConditions(filters: GigFilters, params: Params): string[] {
  // A purge deletes in chunks: its account reads as deleted from the moment it is marked.
  const where = ["removed_at IS NULL", "data IS NOT NULL", notPurgedSql("gigs.account")];
  if (filters.account !== undefined) where.push(`account = ${params.bind(filters.account)}`);
  if (filters.user !== undefined) {
    // With both filters, the unary + keeps the planner on the account index (an account has one
    // user, so it is the narrower range) instead of letting it weigh the user index.
    where.push(`${filters.account !== undefined ? "+user" : "user"} = ${params.bind(filters.user)}`);
  }
  if (filters.fromMs !== undefined) where.push(`start_ms >= ${params.bind(filters.fromMs)}`);
  if (filters.toMs !== undefined) where.push(`start_ms <= ${params.bind(filters.toMs)}`);
  return where;
}

/**
 * The position's conditions, as one or two UNION ALL branches, and the filters that still need
 * stating. SQLite ranges an index scan on one bound per side: given both the window's `from` and
 * the position, it would start at `from` and skip rows up to the position on every page, as
 * OFFSET does. So only the tighter of the two is kept (the position, unless a cursor was forged).
 */
function keyset(
  filters: GigFilters,
  [start, id]: GigKey,
  backwards: boolean,
  inclusive: boolean,
  params: Params,
): { filters: GigFilters; branches: string[][] } {
  // Any time window excludes gigs without a start (NULL compares false).
  const windowed = filters.fromMs !== undefined || filters.toMs !== undefined;
  const op = (backwards ? "<" : ">") + (inclusive ? "=" : "");
  if (start === null) {
    const inNullRun = ["start_ms IS NULL", `id ${op} ${params.bind(id)}`];
    if (backwards) return { filters, branches: [inNullRun] };
    return { filters, branches: windowed ? [[]] : [inNullRun, ["start_ms IS NOT NULL"]] };
  }
  const { fromMs, toMs, ...rest } = filters;
  const bound = backwards ? toMs : fromMs;
  if (bound !== undefined && (backwards ? bound < start : bound > start)) {
    return { filters, branches: [[]] };
  }
  const afterKey = [`(start_ms, id) ${op} (${params.bind(start)}, ${params.bind(id)})`];
  // The position implies the bound on its side; the other side's bound still applies.
  const remaining = backwards
    ? { ...rest, ...(fromMs !== undefined ? { fromMs } : {}) }
    : { ...rest, ...(toMs !== undefined ? { toMs } : {}) };
  return { filters: remaining, branches: backwards && !windowed ? [afterKey, ["start_ms IS NULL"]] : [afterKey] };
}
