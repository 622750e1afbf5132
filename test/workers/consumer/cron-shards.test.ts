/**
 * The cron on gig shards: every shard's stalled backfills, expired gigs, idle accounts and due
 * reconciliations are found; each shard's size is measured once a run; and a shard that fails
 * (overloaded) costs only its own maintenance, never another shard's nor the catalog's.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runMaintenance } from "../../../src/consumer/maintenance.ts";
import type { Job } from "../../../src/domain/jobs.ts";
import { shardNames } from "../../../src/domain/shards/bindings.ts";
import { clearTables } from "../helpers.ts";
import { countIn, place, type ShardName, shard } from "./shard-helpers.ts";

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const MIN = 60_000;
const DAY = 86_400_000;
const cronEnv = (vars: Record<string, string> = {}) => ({ ...env, ...vars }) as typeof env;

function account(i: number): string {
  return `0187c66e-e7e5-811c-b006-${i.toString(16).padStart(12, "0")}`;
}

function captureSends(): Job[] {
  const sent: Job[] = [];
  vi.spyOn(env.JOBS, "sendBatch").mockImplementation(async (messages) => {
    sent.push(...[...messages].map((m) => m.body));
    return {} as QueueSendBatchResponse;
  });
  return sent;
}

/** Makes every query on `name` fail as an overloaded D1 database answers. */
function overload(name: ShardName): void {
  const db = shard(name);
  const fail = () => Promise.reject(new Error("D1_ERROR: D1 DB is overloaded. Too many requests queued."));
  vi.spyOn(db, "batch").mockImplementation(fail);
  vi.spyOn(db, "prepare").mockImplementation(() => {
    throw new Error("D1_ERROR: D1 DB is overloaded. Too many requests queued.");
  });
}

async function stalledBackfill(name: ShardName, id: string): Promise<void> {
  await place(id, name);
  await shard(name)
    .prepare(
      `INSERT INTO accounts (id, user, backfill_status, backfill_pass, backfill_started_ms, backfill_progress_ms)
       VALUES (?1, 'u', 'running', ?2, ?3, ?3)`,
    )
    .bind(id, `evt-${id}:0`, NOW - 20 * MIN)
    .run();
}

beforeEach(async () => {
  await clearTables();
  vi.spyOn(console, "log").mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

describe("the cron on every gig shard", () => {
  it("revives the stalled backfills of every shard", async () => {
    await stalledBackfill("SHARD_1", account(1));
    await stalledBackfill("SHARD_2", account(2));
    const sent = captureSends();
    const summary = await runMaintenance(cronEnv(), NOW);
    expect(summary.revivedBackfills).toBe(2);
    expect(sent.map((j) => [j.kind, j.account])).toEqual([
      ["backfill", account(1)],
      ["backfill", account(2)],
    ]);
  });

  it("an overloaded shard is logged and skipped: the other shard and the catalog are maintained", async () => {
    await stalledBackfill("SHARD_1", account(1));
    await stalledBackfill("SHARD_2", account(2));
    // Something for the catalog to do: a purge whose message was lost.
    await env.DB.prepare(
      "INSERT INTO purged_accounts (account, user, reason, requested_at, progress_ms) VALUES (?1, 'u', 'api', '2026-11-01', ?2)",
    )
      .bind(account(9), NOW - 20 * MIN)
      .run();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    overload("SHARD_1");
    const sent = captureSends();
    const summary = await runMaintenance(cronEnv({ GIG_RETENTION_DAYS: "365" }), NOW);
    expect(summary).toMatchObject({ revivedBackfills: 1, revivedPurges: 1 });
    expect(sent.map((j) => [j.kind, j.account]).sort()).toEqual([
      ["backfill", account(2)],
      ["purge_account", account(9)],
    ]);
    // SHARD_2 was measured, SHARD_1 was not (its row is left as it was: none).
    expect(Object.keys(summary.shardSizes).sort()).toEqual(["DB", ...shardNames(env).filter((n) => n !== "SHARD_1")]);
    const logged = errors.mock.calls.map(([line]) => JSON.parse(String(line)) as { msg: string; shard?: string });
    expect(logged.filter((l) => l.shard === "SHARD_1").map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        "maintenance step failed on a shard: revive stalled backfills",
        "maintenance step failed on a shard: gig retention",
        "maintenance step failed on a shard: schedule reconciliation",
        "maintenance step failed on a shard: measure shard sizes",
      ]),
    );
    expect(logged.some((l) => l.shard !== "SHARD_1" && l.msg.startsWith("maintenance step failed"))).toBe(false);
  });

  it("retention prunes each shard's expired gigs (audited in the catalog) and purges each shard's idle accounts", async () => {
    const old = NOW - 400 * DAY;
    await place(account(1), "SHARD_1");
    await place(account(2), "SHARD_2");
    await shard("SHARD_1").batch([
      shard("SHARD_1")
        .prepare(
          "INSERT INTO gigs (id, account, start_ms, data, synced_ms) VALUES ('0187dbfa-6f5e-a33a-af26-7e12ff408fe1', ?1, ?2, '{}', ?2)",
        )
        .bind(account(1), old),
      shard("SHARD_1")
        .prepare(
          "INSERT INTO gigs (id, account, start_ms, data, synced_ms) VALUES ('0187dbfa-6f5e-a33a-af26-7e12ff408fe2', ?1, ?2, '{}', ?2)",
        )
        .bind(account(1), NOW - DAY),
      shard("SHARD_1")
        .prepare("INSERT INTO accounts (id, user, last_webhook_at) VALUES (?1, 'u1', ?2)")
        .bind(account(1), new Date(NOW - DAY).toISOString()),
    ]);
    await shard("SHARD_2")
      .prepare("INSERT INTO accounts (id, user, last_webhook_at) VALUES (?1, 'u2', '2025-01-01T00:00:00.000Z')")
      .bind(account(2))
      .run();
    const sent = captureSends();
    const summary = await runMaintenance(cronEnv({ GIG_RETENTION_DAYS: "365" }), NOW);
    expect(summary).toMatchObject({ expiredGigs: 1, expiredAccounts: 1 });
    expect(await countIn(shard("SHARD_1"), "gigs")).toBe(1);
    const audit = await env.DB.prepare("SELECT detail FROM audit_log WHERE action = 'retention_gigs'").first<string>(
      "detail",
    );
    expect(JSON.parse(String(audit))).toMatchObject({ gigs: 1, shard: "SHARD_1" });
    // The idle account reads as deleted at once on its shard, and the catalog holds the record the cron revives from.
    expect(
      await countIn(shard("SHARD_2"), "purged_accounts WHERE account = ?1 AND reason = 'retention'", account(2)),
    ).toBe(1);
    expect(await countIn(env.DB, "purged_accounts WHERE account = ?1 AND reason = 'retention'", account(2))).toBe(1);
    expect(sent.filter((j) => j.kind === "purge_account")).toEqual([
      expect.objectContaining({ kind: "purge_account", account: account(2), reason: "retention" }),
    ]);
  });

  it("reconciliation sums the shards' counts for its pace and picks due accounts on each shard", async () => {
    for (const [i, name] of [
      [1, "SHARD_1"],
      [2, "SHARD_1"],
      [3, "SHARD_2"],
    ] as const) {
      await place(account(i), name);
      await shard(name).batch([
        shard(name)
          .prepare(
            "INSERT INTO accounts (id, user, last_webhook_at, backfill_status, last_reconciled_ms) VALUES (?1, 'u', ?2, 'done', ?3)",
          )
          .bind(account(i), new Date(NOW - DAY).toISOString(), NOW - 30 * DAY),
        shard(name)
          .prepare("INSERT INTO gigs (id, account, start_ms, data, synced_ms) VALUES (?1, ?2, ?3, '{}', ?3)")
          .bind(`0187dbfa-6f5e-a33a-af26-7e12ff408f${i.toString().padStart(2, "0")}`, account(i), NOW - DAY),
      ]);
    }
    const sent = captureSends();
    const first = await runMaintenance(cronEnv(), NOW);
    // 3 accounts a week: one a run per shard with accounts (the floor), both shards served.
    expect(first.reconcileQueued).toBe(2);
    expect(new Set(sent.map((j) => j.account))).toEqual(new Set([account(1), account(3)]));
    const counts = await env.DB.prepare(
      "SELECT name, value FROM cron_state WHERE name LIKE 'reconcile_accounts:%' ORDER BY name",
    ).all();
    expect(counts.results).toEqual([
      { name: "reconcile_accounts:SHARD_1", value: 2 },
      { name: "reconcile_accounts:SHARD_2", value: 1 },
    ]);
    sent.length = 0;
    await runMaintenance(cronEnv(), NOW + MIN);
    expect(sent.map((j) => j.account)).toEqual([account(2)]);
  });

  it("measures each shard's size and newest migration once a run, and resets its placements", async () => {
    await env.DB.prepare("INSERT INTO shards (name, placed) VALUES ('SHARD_1', 7)").run();
    await shard("SHARD_1")
      .prepare(
        "INSERT INTO gigs (id, account, data, synced_ms) VALUES ('0187dbfa-6f5e-a33a-af26-7e12ff408fea', 'a', ?1, 1)",
      )
      .bind("x".repeat(200_000))
      .run();
    captureSends();
    const summary = await runMaintenance(cronEnv(), NOW);
    const { results } = await env.DB.prepare(
      "SELECT name, status, size_bytes, measured_ms, placed, migration FROM shards ORDER BY name",
    ).all<{ name: string; size_bytes: number; measured_ms: number; placed: number; migration: string }>();
    // No legacy accounts here: no 'DB' row is made up.
    expect(results.map((r) => r.name)).toEqual(shardNames(env));
    for (const row of results) {
      expect(row).toMatchObject({ status: "open", measured_ms: NOW, placed: 0, migration: "0001_gig_shard.sql" });
      expect(row.size_bytes).toBe(summary.shardSizes[row.name]);
    }
    const [one, two] = results;
    expect(one?.size_bytes ?? 0).toBeGreaterThan((two?.size_bytes ?? 0) + 150_000);
  });
});
