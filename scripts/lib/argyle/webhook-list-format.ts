/**
 * `webhooks list` output: one aligned row per subscription. The secret Argyle returns in clear
 * text is deliberately left out, so a list is safe to paste into a ticket.
 * @module
 */

import { formatTable } from "../common/text-table.ts";
import type { Webhook } from "./webhooks-api.ts";

const HEADERS = ["id", "name", "events", "config", "url", "created_at", "last_sent_at"];

export function formatWebhookList(webhooks: readonly Webhook[]): string[] {
  if (webhooks.length === 0) return ["no webhook subscriptions"];
  const rows = webhooks.map((w) => [
    w.id,
    w.name,
    w.events.join(","),
    formatConfig(w.config),
    w.url,
    w.created_at,
    w.last_sent_at ?? "never",
  ]);
  const count = `${webhooks.length} subscription${webhooks.length === 1 ? "" : "s"}`;
  return [...formatTable(HEADERS, rows), count];
}

/** `{"days_synced":60}`, or `-` for none (Argyle sends `{}`; legacy subscriptions `null`). */
export function formatConfig(config: Webhook["config"]): string {
  return config === null || Object.keys(config).length === 0 ? "-" : JSON.stringify(config);
}
