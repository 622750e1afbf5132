/**
 * D1 access for alert state: the live alerts (one indexed read, empty when nothing is wrong), the
 * rows of keys that just started to hold, and the writes of one evaluation. A transition and its
 * notification are written in one batch (one transaction), and every update is a compare-and-set
 * on the row as read, so two overlapping cron runs, or an acknowledgement racing a run, can never
 * send a notice twice: the loser changes nothing and the next run looks again.
 * @module
 */
import { messageOf } from "./notify.ts";
import type { AlertRow, Step, Transition } from "./state.ts";

export const ALERT_COLUMNS =
  "id, rule, scope, status, hits, clears, opens, summary, next_step, affected, since, marker, opened_at, acknowledged_at, resolved_at, checked_at";

/** Alerts not at rest (pending, open, acknowledged), over the partial index `alerts_live`. */
export function liveAlertsStatement(db: D1Database): D1PreparedStatement {
  return db.prepare(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE status <> 'resolved'`);
}

/** The stored rows of these keys (resolved ones that may re-open), in one batch. */
export async function rowsOfKeys(db: D1Database, keys: { rule: string; scope: string }[]): Promise<AlertRow[]> {
  if (keys.length === 0) return [];
  const results = await db.batch<AlertRow>(
    keys.map((k) =>
      db.prepare(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE rule = ?1 AND scope = ?2`).bind(k.rule, k.scope),
    ),
  );
  return results.flatMap((r) => r.results);
}

/** The statements that apply `steps`, each notice in the same batch as its transition. */
export function stepStatements(
  db: D1Database,
  steps: Step[],
  nowIso: string,
  newNotificationId: () => string,
): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  for (const s of steps) {
    switch (s.kind) {
      case "none":
        break;
      case "delete":
        statements.push(
          db
            .prepare("DELETE FROM alerts WHERE id = ?1 AND status = ?2 AND checked_at = ?3")
            .bind(s.previous.id, s.previous.status, s.previous.checked_at),
        );
        break;
      case "insert":
        statements.push(
          db
            .prepare(
              `INSERT INTO alerts (${ALERT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
               ON CONFLICT (rule, scope) DO NOTHING`,
            )
            .bind(...values(s.row)),
        );
        if (s.notice) statements.push(noticeStatement(db, s.row, s.notice, nowIso, newNotificationId()));
        break;
      case "update":
        statements.push(
          db
            .prepare(
              `UPDATE alerts SET status = ?4, hits = ?5, clears = ?6, opens = ?7, summary = ?8, next_step = ?9,
                 affected = ?10, since = ?11, marker = ?12, opened_at = ?13, acknowledged_at = ?14, resolved_at = ?15,
                 checked_at = ?16
               WHERE id = ?1 AND status = ?17 AND checked_at = ?18`,
            )
            .bind(...values(s.row), s.previous.status, s.previous.checked_at),
        );
        if (s.notice) statements.push(noticeStatement(db, s.row, s.notice, nowIso, newNotificationId()));
        break;
    }
  }
  return statements;
}

/** Queues the notice only if the statement before it changed its row (`changes()`): the compare-and-set held. */
function noticeStatement(
  db: D1Database,
  row: AlertRow,
  transition: Transition,
  nowIso: string,
  id: string,
): D1PreparedStatement {
  return db
    .prepare(
      "INSERT INTO alert_notifications (id, alert_id, transition, message) SELECT ?1, ?2, ?3, ?4 WHERE changes() = 1",
    )
    .bind(id, row.id, transition, JSON.stringify(messageOf(row, transition, nowIso)));
}

function values(row: AlertRow): (string | number | null)[] {
  return [
    row.id,
    row.rule,
    row.scope,
    row.status,
    row.hits,
    row.clears,
    row.opens,
    row.summary,
    row.next_step,
    row.affected,
    row.since,
    row.marker,
    row.opened_at,
    row.acknowledged_at,
    row.resolved_at,
    row.checked_at,
  ];
}
