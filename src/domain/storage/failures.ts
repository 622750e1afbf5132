/**
 * D1 access for dead-lettered work (`failures`, written by the consumer's dead-letter handler):
 * the /api/failures list, newest first over `failures_by_status` / `failures_by_account` or the
 * primary key, and the bookkeeping of a redrive.
 * @module
 */
import type { FailureListRequest, FailureStatus } from "../ops-list-params.ts";
import type { FailureRecord } from "./job-failures.ts";
import { type BoundQuery, fetchPage, idKeyset, Params, parseJsonColumn } from "./query.ts";

/** A failure as the API shows it: every column, `job` parsed. */
export interface FailureSummary extends Omit<FailureRecord, "job"> {
  job: unknown;
  status: FailureStatus;
  redriven_at: string | null;
}

type FailureRow = Omit<FailureSummary, "job"> & { job: string };

const COLUMNS =
  "id, created_at, job_id, kind, account, event_id, job, gig_ids, reason, attempts, last_error, status, redriven_at";

/** One page of failures, newest first. */
export async function listFailures(
  db: D1Database,
  request: FailureListRequest,
): Promise<{ rows: FailureSummary[]; hasMore: boolean }> {
  const page = await fetchPage<FailureRow>(db, buildFailureListQuery(request), request.limit, request.position);
  return { rows: page.rows.map(toSummary), hasMore: page.hasMore };
}

/** The SQL of one page. */
export function buildFailureListQuery(request: FailureListRequest): BoundQuery {
  const { filters } = request;
  const params = new Params();
  const where: string[] = [];
  if (filters.status !== undefined) where.push(`status = ${params.bind(filters.status)}`);
  if (filters.account !== undefined) where.push(`account = ${params.bind(filters.account)}`);
  const keyset = idKeyset("id", true, request.position, params);
  if (keyset.where) where.push(keyset.where);
  const sql =
    `SELECT ${COLUMNS} FROM failures${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ` +
    `ORDER BY ${keyset.order} LIMIT ${params.bind(request.limit + 1)}`;
  return { sql, params: params.values };
}

/** The stored row of one failure (with `job` as stored text), or null. */
export async function getFailure(db: D1Database, id: string): Promise<FailureRow | null> {
  return db.prepare(`SELECT ${COLUMNS} FROM failures WHERE id = ?1`).bind(id).first<FailureRow>();
}

/** Marks an open failure redriven; false if it was not open any more (another redrive won). */
export async function markRedriven(db: D1Database, id: string, at: string): Promise<boolean> {
  const result = await db
    .prepare("UPDATE failures SET status = 'redriven', redriven_at = ?2 WHERE id = ?1 AND status = 'open'")
    .bind(id, at)
    .run();
  return result.meta.changes > 0;
}

function toSummary(row: FailureRow): FailureSummary {
  return { ...row, job: parseJsonColumn(row.job) };
}
