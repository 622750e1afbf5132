/**
 * The console's account reads: a keyset page of accounts (optionally one backfill state, over
 * `accounts_by_backfill_id`), one account's newest gigs (over `gigs_by_account_start`) and recent
 * events (over `events_by_account`), and one gig's stored JSON.
 * @module
 */
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

export function buildAccountPageQuery(request: AccountPageRequest): BoundQuery {
  const params = new Params();
  const where: string[] = [];
  if (request.status !== undefined) where.push(`a.backfill_status = ${params.bind(request.status)}`);
  if (request.after !== undefined) where.push(`a.id > ${params.bind(request.after)}`);
  const sql = `SELECT a.id, a.available_count, a.backfill_status, a.backfill_pages, a.backfill_gigs,
      a.backfill_completed_at, a.last_webhook_at, a.last_fetch_at, a.last_error,
      (SELECT COUNT(*) FROM gigs g WHERE g.account = a.id AND g.removed_at IS NULL) AS gigs_stored,
      (SELECT COUNT(*) FROM failures f WHERE f.account = a.id AND f.status = 'open') AS open_failures
    FROM accounts a${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}
    ORDER BY a.id LIMIT ${params.bind(request.limit + 1)}`;
  return { sql, params: params.values };
}

export async function listConsoleAccounts(
  db: D1Database,
  request: AccountPageRequest,
): Promise<{ rows: ConsoleAccountRow[]; next: string | null }> {
  const q = buildAccountPageQuery(request);
  const { results } = await db
    .prepare(q.sql)
    .bind(...q.params)
    .all<ConsoleAccountRow>();
  const rows = results.slice(0, request.limit);
  return { rows, next: results.length > request.limit ? (rows.at(-1)?.id ?? null) : null };
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

/** The account page's gigs and events in one round trip. */
export async function readAccountDetail(
  db: D1Database,
  account: string,
): Promise<{ gigs: AccountGigRow[]; events: AccountEventRow[] }> {
  const [gigs, events] = await db.batch(
    [buildAccountGigsQuery(account), buildAccountEventsQuery(account)].map((q) => db.prepare(q.sql).bind(...q.params)),
  );
  return { gigs: (gigs?.results ?? []) as AccountGigRow[], events: (events?.results ?? []) as AccountEventRow[] };
}
