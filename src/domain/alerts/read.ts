/**
 * Reads and the one operator write of alert state: the GET /api/alerts list (newest first, keyset
 * on the time-ordered id), acknowledging an open alert, and the summary GET /health shows.
 * @module
 */
import * as v from "valibot";
import { ArgyleIdParam, choiceParam, defineList, type ListRequest } from "../list-params.ts";
import { type BoundQuery, fetchPage, idKeyset, Params } from "../storage/query.ts";
import { RULES, type RuleName } from "./rules.ts";
import type { AlertRow, AlertStatus } from "./state.ts";
import { ALERT_COLUMNS } from "./store.ts";

export const ALERT_STATUSES = ["pending", "open", "acknowledged", "resolved"] as const satisfies readonly AlertStatus[];

export interface AlertFilters {
  status?: AlertStatus;
  rule?: RuleName;
  /** The alert's scope: an account id. */
  account?: string;
}

export const ALERT_LIST = defineList<AlertFilters, string>({
  name: "alerts",
  filterNames: ["status", "rule", "account"],
  filters: v.pipe(
    v.strictObject({
      status: v.optional(choiceParam(ALERT_STATUSES)),
      rule: v.optional(choiceParam(RULES)),
      account: v.optional(ArgyleIdParam),
    }),
    v.transform((f): AlertFilters => Object.fromEntries(Object.entries(f).filter(([, x]) => x !== undefined))),
  ),
  key: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  defaultLimit: 50,
  maxLimit: 200,
});

export type AlertListRequest = ListRequest<AlertFilters, string>;

/** An alert as the API shows it: damping counters included, so "pending" explains itself. */
export type AlertSummary = AlertRow;

export function buildAlertListQuery(request: AlertListRequest): BoundQuery {
  const { filters } = request;
  const params = new Params();
  const where: string[] = [];
  if (filters.status !== undefined) where.push(`status = ${params.bind(filters.status)}`);
  if (filters.rule !== undefined) where.push(`rule = ${params.bind(filters.rule)}`);
  if (filters.account !== undefined) where.push(`scope = ${params.bind(filters.account)}`);
  const keyset = idKeyset("id", true, request.position, params);
  if (keyset.where) where.push(keyset.where);
  const sql =
    `SELECT ${ALERT_COLUMNS} FROM alerts${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ` +
    `ORDER BY ${keyset.order} LIMIT ${params.bind(request.limit + 1)}`;
  return { sql, params: params.values };
}

export function listAlerts(
  db: D1Database,
  request: AlertListRequest,
): Promise<{ rows: AlertSummary[]; hasMore: boolean }> {
  return fetchPage<AlertSummary>(db, buildAlertListQuery(request), request.limit, request.position);
}

export type AckResult =
  | { outcome: "acknowledged"; alert: AlertSummary }
  | { outcome: "not_found" }
  | { outcome: "not_open"; status: AlertStatus };

/**
 * Acknowledges an open alert: no more notices for it until it resolves, or its rule finds
 * something newer. Acknowledging an acknowledged alert again answers the same (idempotent).
 */
export async function acknowledgeAlert(db: D1Database, id: string, now: Date = new Date()): Promise<AckResult> {
  const updated = await db
    .prepare(
      `UPDATE alerts SET status = 'acknowledged', acknowledged_at = ?2 WHERE id = ?1 AND status = 'open'
       RETURNING ${ALERT_COLUMNS}`,
    )
    .bind(id, now.toISOString())
    .first<AlertSummary>();
  if (updated) return { outcome: "acknowledged", alert: updated };
  const row = await db.prepare(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE id = ?1`).bind(id).first<AlertSummary>();
  if (!row) return { outcome: "not_found" };
  if (row.status === "acknowledged") return { outcome: "acknowledged", alert: row };
  return { outcome: "not_open", status: row.status };
}

export interface AlertCounts {
  /** Open and acknowledged alerts: what is wrong now. */
  open: number;
  acknowledged: number;
  by_rule: Partial<Record<RuleName, number>>;
}

/** Counts of alerts that are wrong now, over the partial index `alerts_live` (no row read when all is well). */
export async function alertCounts(db: D1Database): Promise<AlertCounts> {
  const { results } = await db
    .prepare("SELECT rule, status, COUNT(*) AS n FROM alerts WHERE status <> 'resolved' GROUP BY rule, status")
    .all<{ rule: RuleName; status: AlertStatus; n: number }>();
  const counts: AlertCounts = { open: 0, acknowledged: 0, by_rule: {} };
  for (const r of results) {
    if (r.status !== "open" && r.status !== "acknowledged") continue;
    counts[r.status] += r.n;
    counts.by_rule[r.rule] = (counts.by_rule[r.rule] ?? 0) + r.n;
  }
  return counts;
}
