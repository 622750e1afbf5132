/**
 * The console's account reads: a keyset page of accounts (optionally one backfill state, over
 * `accounts_by_backfill_id`) merged across shards, one account's newest gigs (its shard, over
 * `gigs_by_account_newest`) and recent events (the catalog, over `events_by_account`).
 * @module
 */
import type { ShardTarget } from "../shards/read-scope.ts";
import { openFailuresByAccount } from "./accounts-read.ts";
import { type BoundQuery, Params } from "./query.ts";

export const BACKFILL_STATES = ["none", "running", "done", "failed"] as const;
export type BackfillState = (typeof BACKFILL_STATES)[number];

export interface ConsoleAccountRow {
  id: string;
  available_count: number | null;
  gigs_stored: number;
  backfill_status: BackfillState;
  backfill_pages: number;
  backfill_gigs: number;
  backfill_completed_at: string | null;
  last_webhook_at: string | null;
  last_fetch_at: string | null;
  last_error: string | null;
  open_failures: number;
}

export interface AccountPageRequest {
  status?: BackfillState;
  /** Keyset: ids strictly after this one. */
  after?: string;
  limit: number;
}

/** One shard's page; `skip` = accounts whose rows there are a move's copy (their home is elsewhere). */
export function buildAccountPageQuery(request: AccountPageRequest, skip: readonly string[] = []): BoundQuery {
  const params = new Params();
  const where: string[] = [];
  if (request.status !== undefined) where.push(`a.backfill_status = ${params.bind(request.status)}`);
  if (request.after !== undefined) where.push(`a.id > ${params.bind(request.after)}`);
  if (skip.length > 0) where.push(`a.id NOT IN (SELECT value FROM json_each(${params.bind(JSON.stringify(skip))}))`);
  const sql = `SELECT a.id, a.available_count, a.backfill_status, a.backfill_pages, a.backfill_gigs,
      a.backfill_completed_at, a.last_webhook_at, a.last_fetch_at, a.last_error,
      (SELECT COUNT(*) FROM gigs g WHERE g.account = a.id AND g.removed_at IS NULL) AS gigs_stored
    FROM accounts a${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}
    ORDER BY a.id LIMIT ${params.bind(request.limit + 1)}`;
  return { sql, params: params.values };
}

/** A page of accounts in id order across `targets` (each shard's first `limit + 1`, merged), with open failures from the catalog. */
export async function listConsoleAccounts(
  catalog: D1Database,
  targets: readonly ShardTarget[],
  request: AccountPageRequest,
): Promise<{ rows: ConsoleAccountRow[]; next: string | null }> {
  const perShard = await Promise.all(
    targets.map(async (target) => {
      const q = buildAccountPageQuery(request, target.skip);
      const { results } = await target.db
        .prepare(q.sql)
        .bind(...q.params)
        .all<Omit<ConsoleAccountRow, "open_failures">>();
      return results;
    }),
  );
  const merged = perShard.flat().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const page = merged.slice(0, request.limit);
  const failures = await openFailuresByAccount(
    catalog,
    page.map((r) => r.id),
  );
  const rows = page.map((r) => ({ ...r, open_failures: failures.get(r.id) ?? 0 }));
  return { rows, next: merged.length > request.limit ? (rows.at(-1)?.id ?? null) : null };
}

export interface AccountGigRow {
  id: string;
  start_datetime: string | null;
  status: string | null;
  employer: string | null;
  pay: string | number | null;
  currency: string | null;
}

export interface AccountEventRow {
  id: string;
  received_at: string;
  event: string | null;
  status: string;
  gig_ids: number;
}

export const ACCOUNT_GIGS_LIMIT = 50;
export const ACCOUNT_EVENTS_LIMIT = 20;

export function buildAccountGigsQuery(account: string): BoundQuery {
  return {
    sql: `SELECT id, start_datetime, status, employer, json_extract(data, '$.income.pay') AS pay,
        json_extract(data, '$.income.currency') AS currency
      FROM gigs WHERE account = ?1 AND removed_at IS NULL ORDER BY start_ms DESC, id DESC LIMIT ?2`,
    params: [account, ACCOUNT_GIGS_LIMIT],
  };
}

export function buildAccountEventsQuery(account: string): BoundQuery {
  return {
    sql: "SELECT id, received_at, event, status, gig_ids FROM events WHERE account = ?1 ORDER BY id DESC LIMIT ?2",
    params: [account, ACCOUNT_EVENTS_LIMIT],
  };
}

/** The account page's gigs (from its shard) and events (from the catalog), both at once. */
export async function readAccountDetail(
  catalog: D1Database,
  shard: D1Database,
  account: string,
): Promise<{ gigs: AccountGigRow[]; events: AccountEventRow[] }> {
  const gigsQuery = buildAccountGigsQuery(account);
  const eventsQuery = buildAccountEventsQuery(account);
  const [gigs, events] = await Promise.all([
    shard
      .prepare(gigsQuery.sql)
      .bind(...gigsQuery.params)
      .all<AccountGigRow>(),
    catalog
      .prepare(eventsQuery.sql)
      .bind(...eventsQuery.params)
      .all<AccountEventRow>(),
  ]);
  return { gigs: gigs.results, events: events.results };
}
