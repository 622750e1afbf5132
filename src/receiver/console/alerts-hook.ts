/**
 * Where the console meets the alerts work (issue 13): the Overview's count of what is wrong now.
 * @module
 */
import type { BoundQuery } from "../../domain/storage/query.ts";

/** Alerts a person should know about: open (nobody has looked) and acknowledged (someone has, not fixed yet). */
export interface LiveAlertCount {
  open: number;
  acknowledged: number;
}

/**
 * One read of the `alerts_by_status` index (covering: no table row is read). Pending alerts are
 * not counted: they have not held for ALERT_CHECKS checks yet and no notice has gone out.
 */
export const LIVE_ALERT_COUNT_QUERY: BoundQuery = {
  sql: "SELECT status, COUNT(*) AS n FROM alerts WHERE status IN ('open', 'acknowledged') GROUP BY status",
  params: [],
};

export async function openAlertCount(db: D1Database): Promise<LiveAlertCount> {
  const { results } = await db
    .prepare(LIVE_ALERT_COUNT_QUERY.sql)
    .bind(...LIVE_ALERT_COUNT_QUERY.params)
    .all<{ status: string; n: number }>();
  const counts: LiveAlertCount = { open: 0, acknowledged: 0 };
  for (const r of results) if (r.status === "open" || r.status === "acknowledged") counts[r.status] = r.n;
  return counts;
}
