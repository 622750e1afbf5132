/**
 * The rules reading accounts read every gig shard: a stalled backfill or drift on any shard opens
 * its alert, accounts on a shard count for no_webhooks, and a shard that cannot be read resolves
 * nothing (its accounts may be the cause).
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runAlerts } from "../../../src/domain/alerts/run.ts";
import { clearTables } from "../helpers.ts";
import { shard } from "./shard-helpers.ts";

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const MIN = 60_000;
const ACCOUNT = "0187c66e-e7e5-811c-b006-0000000000a1";
const VARS = { ALERT_CHECKS: "1", ALERT_NO_WEBHOOK_HOURS: "1" };

const shards = () => (["SHARD_1", "SHARD_2"] as const).map((name) => ({ name, db: shard(name) }));
const watch = (at: number) =>
  runAlerts({ db: env.DB, shards: shards(), fetch: async () => new Response("ok") }, { ...env, ...VARS }, at);

async function alertStatus(rule: string): Promise<Record<string, unknown>[]> {
  const { results } = await env.DB.prepare("SELECT scope, status FROM alerts WHERE rule = ?1 ORDER BY scope")
    .bind(rule)
    .all();
  return results;
}

beforeEach(async () => {
  await clearTables();
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

describe("alert rules across shards", () => {
  it("a stalled backfill, drift and accounts on a gig shard open their alerts; an unreadable shard resolves none", async () => {
    const db = shard("SHARD_2");
    await db
      .prepare(
        `INSERT INTO accounts (id, user, backfill_status, backfill_pass, backfill_started_ms, backfill_progress_ms, drift_found)
         VALUES (?1, 'u', 'running', 'evt:0', ?2, ?2, 4)`,
      )
      .bind(ACCOUNT, NOW - 120 * MIN)
      .run();
    await watch(NOW);
    expect(await alertStatus("backfill_stalled")).toEqual([{ scope: ACCOUNT, status: "open" }]);
    expect(await alertStatus("reconciliation_drift")).toEqual([expect.objectContaining({ status: "open" })]);
    // No webhook ever, while an account exists (on a shard only: the catalog holds none).
    expect(await alertStatus("no_webhooks")).toEqual([expect.objectContaining({ status: "open" })]);

    // The shard stops answering: nothing it might still hold is resolved.
    vi.spyOn(db, "batch").mockRejectedValue(new Error("D1_ERROR: D1 DB is overloaded. Too many requests queued."));
    await watch(NOW + MIN);
    await watch(NOW + 2 * MIN);
    expect(await alertStatus("backfill_stalled")).toEqual([{ scope: ACCOUNT, status: "open" }]);
    expect(await alertStatus("reconciliation_drift")).toEqual([expect.objectContaining({ status: "open" })]);
    expect(await alertStatus("no_webhooks")).toEqual([expect.objectContaining({ status: "open" })]);

    // Readable again and the conditions gone: they resolve.
    vi.mocked(db.batch).mockRestore();
    await db.prepare("UPDATE accounts SET backfill_status = 'done', drift_found = 0").run();
    await db.prepare("DELETE FROM accounts").run();
    await watch(NOW + 3 * MIN);
    expect(await alertStatus("backfill_stalled")).toEqual([{ scope: ACCOUNT, status: "resolved" }]);
    expect(await alertStatus("reconciliation_drift")).toEqual([expect.objectContaining({ status: "resolved" })]);
    expect(await alertStatus("no_webhooks")).toEqual([expect.objectContaining({ status: "resolved" })]);
  });
});
