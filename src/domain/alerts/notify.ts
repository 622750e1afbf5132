/**
 * Alert notifications: the message of a transition, and its HTTP body in either format.
 * - `slack` (default): a Slack incoming-webhook body, `{"text": "…"}` in Slack's mrkdwn.
 * - `json`: `{"type": "alert.opened" | "alert.reopened" | "alert.resolved", "id", "alert": {…}}`,
 *   signed so the receiving system can check it came from us and is not a replay:
 *   `X-Mirror-Timestamp: <unix seconds>` and
 *   `X-Mirror-Signature: sha256=<hex HMAC-SHA256(ALERT_WEBHOOK_SECRET, "<timestamp>.<body>")>`.
 *   A receiver recomputes the HMAC over the timestamp header, a dot and the exact body bytes,
 *   compares in constant time, refuses timestamps more than 5 minutes away from its clock, and
 *   drops a repeated `X-Mirror-Delivery` (the notification id: a retry after a lost answer is
 *   delivered again with the same id).
 * Messages carry what the rules wrote (counts, ids, times, API paths), never a secret.
 * @module
 */
import { toHex } from "../ids.ts";
import type { AlertFormat } from "./config.ts";
import type { RuleName } from "./rules.ts";
import type { AlertRow, Transition } from "./state.ts";

export const SIGNATURE_HEADER = "X-Mirror-Signature";
export const TIMESTAMP_HEADER = "X-Mirror-Timestamp";
export const DELIVERY_HEADER = "X-Mirror-Delivery";

/** The stored content of a notification: the alert as it was at the transition. */
export interface AlertMessage {
  alert_id: string;
  rule: RuleName;
  scope: string;
  transition: Transition;
  title: string;
  summary: string;
  next_step: string;
  affected: number;
  since: string | null;
  opened_at: string | null;
  resolved_at: string | null;
  at: string;
}

const TITLES: Record<RuleName, string> = {
  auth_refused: "Argyle refuses the API key",
  open_failures: "Jobs failed for good",
  backlog_age: "Work is backing up",
  backfill_stalled: "A backfill is stalled",
  invalid_webhooks: "Signed webhooks failed validation",
  signature_failures: "Many webhook signatures refused",
  reconciliation_drift: "The mirror drifted from Argyle",
  no_webhooks: "No webhooks are arriving",
};

export function messageOf(row: AlertRow, transition: Transition, at: string): AlertMessage {
  return {
    alert_id: row.id,
    rule: row.rule,
    scope: row.scope,
    transition,
    title: TITLES[row.rule],
    summary: row.summary,
    next_step: row.next_step,
    affected: row.affected,
    since: row.since,
    opened_at: row.opened_at,
    resolved_at: row.resolved_at,
    at,
  };
}

const LABELS: Record<Transition, string> = { opened: "OPENED", reopened: "RE-OPENED", resolved: "RESOLVED" };

/** The Slack incoming-webhook body. */
export function slackBody(message: AlertMessage): string {
  const lines =
    message.transition === "resolved"
      ? [
          `:white_check_mark: *[${LABELS.resolved}] ${message.title}*${scopeText(message)}`,
          `Cleared at ${message.at}. It was: ${message.summary}`,
          `Open since ${message.opened_at ?? "unknown"}.`,
        ]
      : [
          `:rotating_light: *[${LABELS[message.transition]}] ${message.title}*${scopeText(message)}`,
          message.summary,
          `Since: ${message.since ?? "unknown"}. Affected: ${message.affected}.`,
          `Next step: ${message.next_step}`,
        ];
  lines.push(
    `Alert ${message.alert_id} (rule \`${message.rule}\`): \`GET /api/alerts\`, acknowledge with \`POST /api/alerts/${message.alert_id}/ack\`.`,
  );
  return JSON.stringify({ text: lines.join("\n") });
}

/** The generic JSON body (signed by `signJson`). */
export function jsonBody(notificationId: string, message: AlertMessage): string {
  return JSON.stringify({
    type: `alert.${message.transition}`,
    id: notificationId,
    alert: {
      id: message.alert_id,
      rule: message.rule,
      scope: message.scope || null,
      title: message.title,
      summary: message.summary,
      next_step: message.next_step,
      affected: message.affected,
      since: message.since,
      opened_at: message.opened_at,
      resolved_at: message.resolved_at,
    },
    at: message.at,
  });
}

function scopeText(message: AlertMessage): string {
  return message.scope ? ` (account ${message.scope})` : "";
}

const encoder = new TextEncoder();

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`). */
export async function signJson(secret: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${timestamp}.${body}`));
  return `sha256=${toHex(new Uint8Array(mac))}`;
}

/** The HTTP request of one notification. */
export async function notificationRequest(
  notificationId: string,
  message: AlertMessage,
  format: AlertFormat,
  secret: string | null,
  nowMs: number,
): Promise<{ body: string; headers: Record<string, string> }> {
  const headers: Record<string, string> = { "content-type": "application/json", [DELIVERY_HEADER]: notificationId };
  if (format === "slack") return { body: slackBody(message), headers };
  const body = jsonBody(notificationId, message);
  if (secret === null) throw new Error("ALERT_WEBHOOK_SECRET is required for ALERT_WEBHOOK_FORMAT=json");
  const timestamp = Math.floor(nowMs / 1000);
  headers[TIMESTAMP_HEADER] = String(timestamp);
  headers[SIGNATURE_HEADER] = await signJson(secret, timestamp, body);
  return { body, headers };
}
