/** Alert rows written straight into D1, as the consumer's watchdog would leave them. */
import { env } from "cloudflare:workers";
import type { AlertRow } from "../../src/domain/alerts/state.ts";

export const alertId = (n: number) => `0190c0de-0000-7000-8000-${n.toString().padStart(12, "0")}`;

export async function insertAlert(n: number, fields: Partial<AlertRow> = {}): Promise<void> {
  const row: AlertRow = {
    id: alertId(n),
    rule: "open_failures",
    scope: "",
    status: "open",
    hits: 3,
    clears: 0,
    opens: 1,
    summary: "1 job(s) failed for good",
    next_step: "GET /api/failures?status=open",
    affected: 1,
    since: "2026-11-29T12:00:00.000Z",
    marker: null,
    opened_at: "2026-11-29T12:02:00.000Z",
    acknowledged_at: null,
    resolved_at: null,
    checked_at: "2026-11-29T12:02:00.000Z",
    ...fields,
  };
  const columns = Object.keys(row);
  await env.DB.prepare(
    `INSERT INTO alerts (${columns.join(", ")}) VALUES (${columns.map((_, i) => `?${i + 1}`).join(", ")})`,
  )
    .bind(...Object.values(row))
    .run();
}

export async function clearAlerts(): Promise<void> {
  await env.DB.prepare("DELETE FROM alerts").run();
}
