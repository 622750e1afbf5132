/**
 * The watchdog runs every minute: each rule's query must be an index seek, and an idle mirror
 * (plenty of history, nothing wrong) must cost a handful of rows read per run, not a scan.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { readAlertConfig } from "../../../src/domain/alerts/config.ts";
import { ruleQueries } from "../../../src/domain/alerts/rules.ts";
import { runAlerts } from "../../../src/domain/alerts/run.ts";
import {
  alertSink,
  clearAlertTables,
  eventAt,
  MIN,
  openFailure,
  retryingJob,
  runningBackfill,
} from "./alert-helpers.ts";

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);
const config = readAlertConfig({});

async function plan(sql: string, params: unknown[]): Promise<string> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail).join("\n");
}

beforeEach(clearAlertTables);

describe("rule queries use indexes", () => {
  const expected: Record<string, RegExp> = {
    retrying: /SEARCH job_attempts USING COVERING INDEX job_attempts_by_updated \(updated_at>\?\)/,
    unsent: /SEARCH events USING (COVERING )?INDEX events_not_enqueued \((id|rowid)<\?\)/,
    failures: /SEARCH failures USING COVERING INDEX failures_by_status \(status=\?\)/,
    stalled: /SEARCH accounts USING INDEX accounts_by_backfill \(backfill_status=\? AND backfill_progress_ms<\?\)/,
    invalid: /SEARCH events USING (COVERING )?INDEX events_by_status \(status=\? AND id>\?\)/,
    signatures: /SEARCH signature_failures USING INTEGER PRIMARY KEY \(rowid>\?\)/,
    quiet: /SEARCH events USING (COVERING )?INDEX sqlite_autoindex_events_1|SEARCH events/,
  };
  for (const [name, query] of Object.entries(ruleQueries(config, T0))) {
    it(name, async () => {
      const lines = await plan(query.sql, query.params);
      expect(lines).toMatch(expected[name] as RegExp);
      expect(lines).not.toMatch(/^SCAN (job_attempts|events|failures|accounts|signature_failures)$/m);
    });
  }

  it("live alerts: the partial index alerts_live", async () => {
    expect(await plan("SELECT * FROM alerts WHERE status <> 'resolved'", [])).toMatch(/USING INDEX alerts_live/);
  });

  it("unsent notifications: the partial index alert_notifications_unsent", async () => {
    expect(
      await plan("SELECT id, message, attempts FROM alert_notifications WHERE sent_at IS NULL ORDER BY id LIMIT 5", []),
    ).toMatch(/alert_notifications_unsent/);
  });
});

describe("an idle run reads next to nothing", () => {
  it("reads O(1) rows with history present and nothing wrong", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    // History: 300 events queued long ago and recently, redriven failures, finished backfills,
    // old attempt logs, old signature buckets, resolved alerts.
    for (let i = 0; i < 150; i++) await eventAt(T0 - (i + 1) * 5 * MIN, "accepted");
    for (let i = 0; i < 150; i++) await eventAt(T0 - 2 * 86_400_000 - i * MIN, "invalid");
    for (let i = 0; i < 50; i++) await openFailure(T0 - i * MIN);
    await env.DB.prepare("UPDATE failures SET status = 'redriven'").run();
    await runningBackfill(T0 - 2 * MIN);
    for (let i = 0; i < 50; i++) await retryingJob(`old-${i}:0`, "transient", T0 - 3 * 86_400_000, T0 - 2 * 86_400_000);

    const rowsRead: number[] = [];
    const batch = env.DB.batch.bind(env.DB);
    vi.spyOn(env.DB, "batch").mockImplementation(async (statements) => {
      const results = await batch(statements);
      for (const r of results) rowsRead.push(r.meta.rows_read ?? 0);
      return results;
    });
    const sink = alertSink();
    const summary = await runAlerts({ db: env.DB, fetch: sink.fetch }, {}, T0);
    expect(summary?.findings).toBe(0);
    const total = rowsRead.reduce((a, b) => a + b, 0);
    // Measured: 10 (one or two per query, of which several are aggregates' single rows). A scan
    // of any table above would read 50-300.
    expect(total).toBeLessThanOrEqual(12);
  }, 60_000);
});
