/**
 * Reads of the gig mirror for the Argyle-compatible API. Gigs are served as the JSON text Argyle
 * returned (`data`), never re-serialised. Lists are in Argyle's order: newest `start_datetime`
 * first, then gig id ascending (Argyle's keyset is the inverted start time, then the id), and gigs
 * without a start last. Keyset pages run over the partial indexes `gigs_by_account_newest`,
 * `gigs_by_user_newest` and `gigs_by_newest` (start_ms DESC, id), which cover only live rows, so
 * every query repeats their `removed_at IS NULL`. This is one database's page: gigs-read-shards.ts
 * runs it on each shard in scope and merges.
 * @module
 */
import type { GigFilters, GigKey, GigListRequest } from "../gig-list-params.ts";
import { notPurgedSql } from "../lifecycle/purged.ts";
import { type BoundQuery, Params } from "./query.ts";

export interface GigListRow {
  id: string;
  start_ms: number | null;
  data: string;
}

/** Display order, and its reverse for walking back ("previous"): both are scans of one index. */
const FORWARD = "start_ms DESC, id ASC";
const BACKWARD = "start_ms ASC, id DESC";

/**
 * The SQL of one page. The order mixes directions (start descending, id ascending), so no single
 * row-value comparison states "after this key"; and a comparison with NULL is never true. So the
 * rows after a key are the union of up to three index ranges, each limited and merged in order:
 * the key's own start (ids after it), the starts beyond it, and the run of gigs without a start.
 */
export function buildGigListQuery(request: GigListRequest, skipAccounts: readonly string[] = []): BoundQuery {
  const { position } = request;
  const params = new Params();
  const order = position?.dir === "previous" ? BACKWARD : FORWARD;
  const { filters, branches } = position
    ? keyset(request.filters, position.key, position.dir === "previous", position.inclusive, params)
    : { filters: request.filters, branches: [[]] };
  const base = filterConditions(filters, params);
  // Accounts mid-move whose rows here are not their home's (see shards/read-scope.ts): few, and a
  // filter on rows the index range already yields, so the plan is unchanged.
  if (skipAccounts.length > 0)
    base.push(`account NOT IN (SELECT value FROM json_each(${params.bind(JSON.stringify(skipAccounts))}))`);
  const limit = params.bind(request.limit + 1);
  const select = (extra: string[]) =>
    `SELECT id, start_ms, data FROM gigs WHERE ${[...base, ...extra].join(" AND ")} ORDER BY ${order} LIMIT ${limit}`;
  const sql =
    branches.length === 1
      ? select(branches[0] ?? [])
      : `${branches.map((b) => `SELECT id, start_ms, data FROM (${select(b)})`).join(" UNION ALL ")} ORDER BY ${order} LIMIT ${limit}`;
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
 * The rows beyond `key` in the direction walked, as UNION ALL branches, and the filters that
 * still need stating. Forward (display order) from a start s: ids after the key at s, then
 * starts below s, then the gigs without a start. Backward: ids before the key at s, then starts
 * above s (gigs without a start lie only beyond a key without one).
 *
 * SQLite ranges an index scan on one bound per side: given both a window bound and the position
 * on the same side, it could start at the window's bound and skip rows up to the position on
 * every page, as OFFSET does. The position implies that bound, so the bound is dropped unless it
 * is the tighter one (only a forged cursor makes it so).
 */
function keyset(
  filters: GigFilters,
  [start, id]: GigKey,
  backwards: boolean,
  inclusive: boolean,
  params: Params,
): { filters: GigFilters; branches: string[][] } {
  const idOp = (backwards ? "<" : ">") + (inclusive ? "=" : "");
  if (start === null) {
    const inNullRun = ["start_ms IS NULL", `id ${idOp} ${params.bind(id)}`];
    return { filters, branches: backwards ? [inNullRun, ["start_ms IS NOT NULL"]] : [inNullRun] };
  }
  const { fromMs, toMs, ...rest } = filters;
  // Walking forward goes to lower starts, so the position bounds the top (`to`); backward, the bottom.
  const implied = backwards ? fromMs : toMs;
  const keep = implied !== undefined && (backwards ? implied > start : implied < start);
  const remaining: GigFilters = {
    ...rest,
    ...(fromMs !== undefined && (!backwards || keep) ? { fromMs } : {}),
    ...(toMs !== undefined && (backwards || keep) ? { toMs } : {}),
  };
  const s = params.bind(start);
  const branches = [[`start_ms = ${s}`, `id ${idOp} ${params.bind(id)}`], [`start_ms ${backwards ? ">" : "<"} ${s}`]];
  // Any time window excludes gigs without a start.
  const windowed = fromMs !== undefined || toMs !== undefined;
  if (!backwards && !windowed) branches.push(["start_ms IS NULL"]);
  return { filters: remaining, branches };
}
