/**
 * Sends the queued notifications (the outbox), oldest first, a few per cron run. Each is claimed
 * (a compare-and-set on its attempt count) before it is sent and marked sent after, so two
 * overlapping runs never both send it. A failed send stops this run's sending (the endpoint is
 * down: keep the order, do not hammer it) and is retried on the next run. A send whose answer is
 * lost is sent again with the same `X-Mirror-Delivery` id, which the receiver can de-duplicate:
 * delivery is at least once, never silently dropped.
 * @module
 */
import { describeError } from "../errors.ts";
import { timeOrderedIdFloor } from "../ids.ts";
import { logError, logInfo, logWarn } from "../log.ts";
import type { AlertConfig } from "./config.ts";
import { type AlertMessage, notificationRequest } from "./notify.ts";

/** Notifications sent per run: a handful of subrequests, inside the cron's budget. */
export const SEND_LIMIT = 5;
const SEND_TIMEOUT_MS = 10_000;
/**
 * Attempts before a notification is given up (a day of one-minute cron runs): an endpoint that
 * refuses one message for good (say Slack's 400 for a removed channel) must not hold back every
 * later one for ever. Given up means marked with the reason, logged as an error, kept in D1.
 */
export const MAX_SEND_ATTEMPTS = 1440;
/** Sent notifications are kept this long for GET /api/alerts' history, then pruned. */
const KEEP_SENT_MS = 30 * 86_400_000;

interface Pending {
  id: string;
  message: string;
  attempts: number;
}

export interface DeliverySummary {
  sent: number;
  failed: number;
  skipped: number;
}

export async function deliverNotifications(
  db: D1Database,
  config: AlertConfig,
  nowMs: number,
  fetcher: typeof fetch,
): Promise<DeliverySummary> {
  const summary: DeliverySummary = { sent: 0, failed: 0, skipped: 0 };
  const { results } = await db
    .prepare("SELECT id, message, attempts FROM alert_notifications WHERE sent_at IS NULL ORDER BY id LIMIT ?1")
    .bind(SEND_LIMIT)
    .all<Pending>();
  const nowIso = new Date(nowMs).toISOString();
  if (config.webhookUrl === null) {
    // Nowhere to send: mark them, so that configuring a URL later does not replay old news.
    if (results.length > 0) {
      await db.batch(
        results.map((n) =>
          db
            .prepare("UPDATE alert_notifications SET sent_at = ?2, last_error = ?3 WHERE id = ?1 AND sent_at IS NULL")
            .bind(n.id, nowIso, "not sent: ALERT_WEBHOOK_URL is not set"),
        ),
      );
    }
    summary.skipped = results.length;
    return summary;
  }
  for (const n of results) {
    if (n.attempts >= MAX_SEND_ATTEMPTS) {
      await db
        .prepare("UPDATE alert_notifications SET sent_at = ?2, last_error = ?3 WHERE id = ?1 AND sent_at IS NULL")
        .bind(n.id, nowIso, `given up after ${n.attempts} attempts`)
        .run();
      logError("alert notification given up: the endpoint refused it too long", { id: n.id, attempts: n.attempts });
      summary.failed++;
      continue;
    }
    const claimed = await db
      .prepare(
        "UPDATE alert_notifications SET attempts = attempts + 1 WHERE id = ?1 AND attempts = ?2 AND sent_at IS NULL",
      )
      .bind(n.id, n.attempts)
      .run();
    if (claimed.meta.changes !== 1) continue;
    const message = JSON.parse(n.message) as AlertMessage;
    let error: string | null = null;
    try {
      const request = await notificationRequest(n.id, message, config.format, config.secret, nowMs);
      const response = await fetcher(config.webhookUrl, {
        method: "POST",
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      // Drain the body so the connection is released; its content is not ours to log.
      await response.body?.cancel();
      if (!response.ok) error = `the alert endpoint answered HTTP ${response.status}`;
    } catch (cause) {
      // An error text may quote the URL, which may hold a token (Slack's do): blank it out.
      error = `the alert endpoint could not be reached: ${describeError(cause).replaceAll(config.webhookUrl, "<ALERT_WEBHOOK_URL>")}`;
    }
    if (error === null) {
      await db
        .prepare("UPDATE alert_notifications SET sent_at = ?2, last_error = NULL WHERE id = ?1")
        .bind(n.id, nowIso)
        .run();
      summary.sent++;
      logInfo("alert notification sent", {
        id: n.id,
        alert_id: message.alert_id,
        transition: message.transition,
        rule: message.rule,
      });
      continue;
    }
    await db.prepare("UPDATE alert_notifications SET last_error = ?2 WHERE id = ?1").bind(n.id, error).run();
    summary.failed++;
    // The URL itself may hold a token (Slack's do): never logged.
    logWarn("alert notification failed; it is retried on the next run", { id: n.id, attempt: n.attempts + 1, error });
    break;
  }
  return summary;
}

/** Forgets sent notifications older than KEEP_SENT_MS (a primary-key range: cheap). */
export function pruneNotificationsStatement(db: D1Database, nowMs: number): D1PreparedStatement {
  return db
    .prepare("DELETE FROM alert_notifications WHERE id < ?1 AND sent_at IS NOT NULL")
    .bind(timeOrderedIdFloor(nowMs - KEEP_SENT_MS));
}
