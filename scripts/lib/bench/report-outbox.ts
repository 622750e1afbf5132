/**
 * The outbox section of BENCHMARKS.md: round trips before the 202, rows read by an idle cron run.
 * @module
 */
import type { OutboxResult } from "./outbox-scenario.ts";

export function renderOutboxSection(r: OutboxResult): string[] {
  return [
    "## Outbox: what stands between a webhook and its 202, and what an idle cron reads",
    "",
    `Every D1 and Queue call of the real receiver made ${r.latencyMs} ms slower (a remote round trip),`,
    `${r.deliveries} webhooks one after another, timed inside the Worker; then ${r.idleCron.events.toLocaleString("en-US")} sent events`,
    `in D1 with as many accounts (reconciled within the period, a live gig and a tombstone each) and`,
    "their history, and one run of the whole scheduled handler with nothing to do (rows as D1 reports",
    "them for every step, alerts included, from the run's log line).",
    "",
    "| Measure | Value | Target |",
    "|---|---|---|",
    `| time to the 202 (median) | ${r.answerMs.toFixed(0)} ms | |`,
    `| remote round trips before the 202 | ${r.roundTrips} | 1 (was 2: D1, then the Queue) |`,
    `| binding calls finished before the 202 | ${r.callsBeforeAnswer} | 1 |`,
    `| rows read by an idle cron run, ${r.idleCron.events.toLocaleString("en-US")} events and ${r.idleCron.accounts.toLocaleString("en-US")} accounts | ${r.idleCron.rowsRead} | O(1) (was 2 per event: 6,005 at 3,000; then the reconciliation step read every account) |`,
    "",
    `Per step: ${r.idleCron.byStep}.`,
    "",
  ];
}
