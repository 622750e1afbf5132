/**
 * Reads of the event log for /api/events: newest first, keyset on the time-ordered id, over
 * `events_by_event`, `events_by_account`, `events_by_status` or the primary key.
 * @module
 */
import type { EventListRequest } from "../ops-list-params.ts";
import type { Issue } from "../webhook-schema.ts";
import type { EventRecord } from "./events.ts";
import { type BoundQuery, blobBytes, fetchPage, idKeyset, Params, parseJsonColumn } from "./query.ts";

/** An event row as the API shows it: every column, `issues` parsed. */
export interface EventSummary extends EventRecord {
  duplicate_of: string | null;
  enqueued_at: string | null;
}

type EventRow = Omit<EventSummary, "issues"> & { issues: string | null };

const COLUMNS = `e.id, e.received_at, e.event, e.subscription, e.account, e.user, e.status, e.issues,
  e.available_count, e.item_count, e.window_from, e.window_to, e.days_synced, e.gig_ids, e.jobs,
  e.body_sha256, e.body_bytes, e.duplicate_of, e.replay_of, e.enqueued_at`;

/** One page of event summaries, newest first. */
export async function listEvents(
  db: D1Database,
  request: EventListRequest,
): Promise<{ rows: EventSummary[]; hasMore: boolean }> {
  const page = await fetchPage<EventRow>(db, buildEventListQuery(request), request.limit, request.position);
  return { rows: page.rows.map(toSummary), hasMore: page.hasMore };
}

/** The SQL of one page. Each filter is an equality on an index's first column, id its second. */
export function buildEventListQuery(request: EventListRequest): BoundQuery {
  const { filters } = request;
  const params = new Params();
  const where: string[] = [];
  if (filters.event !== undefined) where.push(`e.event = ${params.bind(filters.event)}`);
  if (filters.account !== undefined) where.push(`e.account = ${params.bind(filters.account)}`);
  if (filters.status !== undefined) where.push(`e.status = ${params.bind(filters.status)}`);
  if (filters.minId !== undefined) where.push(`e.id >= ${params.bind(filters.minId)}`);
  const keyset = idKeyset("e.id", true, request.position, params);
  if (keyset.where) where.push(keyset.where);
  const sql =
    `SELECT ${COLUMNS} FROM events e${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ` +
    `ORDER BY ${keyset.order} LIMIT ${params.bind(request.limit + 1)}`;
  return { sql, params: params.values };
}

/** One event's summary and raw body, or null. */
export async function getEventWithBody(
  db: D1Database,
  id: string,
): Promise<{ summary: EventSummary; body: Uint8Array<ArrayBuffer> } | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS}, b.body FROM events e JOIN event_bodies b ON b.sha256 = e.body_sha256 WHERE e.id = ?1`)
    .bind(id)
    .first<EventRow & { body: ArrayBuffer | number[] }>();
  if (!row) return null;
  const { body, ...rest } = row;
  return { summary: toSummary(rest), body: blobBytes(body) };
}

function toSummary(row: EventRow): EventSummary {
  return { ...row, issues: parseJsonColumn(row.issues) as Issue[] | null };
}
