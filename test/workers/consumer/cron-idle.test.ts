/**
 * The whole scheduled handler runs every minute: with nothing to do it must read a small constant
 * number of rows whatever the table sizes (outbox, lifecycle steps and the alerts watchdog alike),
 * every lifecycle query must be an index seek, and reconciliation must be paced, not burst.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readConfig } from "../../../src/consumer/config.ts";
import {
  RECONCILE_MAX_PER_RUN,
  RECONCILE_MIN_PER_RUN,
  reconcilePerRun,
  scheduleReconciliation,
} from "../../../src/consumer/lifecycle-cron.ts";
import { type MaintenanceSummary, runMaintenance } from "../../../src/consumer/maintenance.ts";
import { newTimeOrderedId } from "../../../src/domain/ids.ts";
import type { Job } from "../../../src/domain/jobs.ts";
import { countReconcilable, dueForReconcile, holdStatements } from "../../../src/domain/lifecycle/reconcile.ts";
import { shardNames } from "../../../src/domain/shards/bindings.ts";
import { clearTables, gigIds, gigsUpdatedBody } from "../helpers.ts";
import { captureStatements, fullTableScans, plannable, planOf, rowsReadBy } from "../statement-plans.ts";

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
/** What an idle run reads on an empty gig shard (see the first test). */
const IDLE_ROWS_PER_SHARD = 11;
/** What an idle run reads on the catalog, besides one row per gig shard (see the first test). */
const IDLE_CATALOG_ROWS = 31;
const MIN = 60_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;
const encoder = new TextEncoder();
/** Retention on, so its queries run too (nothing is old enough to expire). */
const VARS = { GIG_RETENTION_DAYS: "365" };
const cronEnv = (vars: Record<string, string> = VARS) => ({ ...env, ...vars }) as typeof env;

function accountId(i: number): string {
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

async function inChunks(statements: D1PreparedStatement[]): Promise<void> {
  for (let i = 0; i < statements.length; i += 500) await env.DB.batch(statements.slice(i, i + 500));
}

/**
 * A busy mirror with nothing to do: `n` sent events (each its own body) inside the retention, `n`
 * accounts reconciled within the period, each with a live gig and a tombstone, completed purges,
 * finished backfills, old (not live) attempt logs, redriven failures, resolved alerts and sent
 * notices, recent signature buckets below the threshold.
 */
async function seedIdleMirror(n: number, lastReconciledMs: (i: number) => number = (i) => NOW - DAY - i * MIN) {
  const s: D1PreparedStatement[] = [];
  for (let i = 0; i < n; i++) {
    const at = NOW - DAY + i * 1000;
    const iso = new Date(at).toISOString();
    const sha = i.toString(16).padStart(64, "0");
    const account = accountId(i);
    s.push(
      env.DB.prepare("INSERT INTO event_bodies (sha256, body, first_received_at) VALUES (?1, ?2, ?3)").bind(
        sha,
        encoder.encode(gigsUpdatedBody(gigIds(1), account)),
        iso,
      ),
      env.DB.prepare(
        `INSERT INTO events (id, received_at, arrived_at, event, status, account, body_sha256, body_bytes, jobs, enqueued_at)
         VALUES (?1, ?2, ?2, 'gigs.updated', 'accepted', ?3, ?4, 100, 1, ?2)`,
      ).bind(newTimeOrderedId(at), iso, account, sha),
      env.DB.prepare(
        `INSERT INTO accounts (id, user, last_webhook_at, backfill_status, backfill_pass, backfill_started_ms,
           backfill_progress_ms, last_reconciled_ms, reconcile_queued_ms)
         VALUES (?1, 'user', ?2, 'done', 'evt:0', ?3, ?3, ?4, ?4)`,
      ).bind(account, iso, at - 10 * MIN, lastReconciledMs(i)),
      // Legacy accounts, laid out as migration 0011 leaves them: in the directory, home shard "DB".
      env.DB.prepare("INSERT INTO directory (account, shard, user, placed_ms) VALUES (?1, 'DB', 'user', ?2)").bind(
        account,
        at,
      ),
      env.DB.prepare(
        `INSERT INTO gigs (id, account, user, start_ms, updated_ms, data, synced_ms) VALUES (?1, ?2, 'user', ?3, ?3, '{}', ?3)`,
      ).bind(`a${i.toString(16).padStart(7, "0")}-6f5e-a33a-af26-7e12ff408fea`, account, at - 30 * DAY),
      env.DB.prepare(
        `INSERT INTO gigs (id, account, user, start_ms, updated_ms, data, synced_ms, removed_at)
         VALUES (?1, ?2, 'user', ?3, ?3, '{}', ?3, ?4)`,
      ).bind(`b${i.toString(16).padStart(7, "0")}-6f5e-a33a-af26-7e12ff408fea`, account, at - 30 * DAY, iso),
    );
    if (i % 10 === 0) {
      s.push(
        env.DB.prepare(
          `INSERT INTO purged_accounts (account, user, reason, requested_at, progress_ms, completed_at)
           VALUES (?1, 'gone', 'api', ?2, ?3, ?2)`,
        ).bind(`0287c66e-e7e5-811c-b006-${i.toString(16).padStart(12, "0")}`, iso, at),
        env.DB.prepare(
          "INSERT INTO job_attempts (job_id, attempts, reason, last_error, updated_at, first_failed_ms) VALUES (?1, 1, 'transient', 'x', ?2, ?3)",
        ).bind(`old-${i}:0`, new Date(NOW - 2 * DAY).toISOString(), NOW - 2 * DAY),
        env.DB.prepare(
          `INSERT INTO failures (id, created_at, job_id, kind, account, reason, attempts, last_error, job, status)
           VALUES (?1, ?4, ?2, 'fetch_gigs', ?3, 'permanent', 1, 'x', '{}', 'redriven')`,
        ).bind(newTimeOrderedId(at), `failed-${i}:0`, account, iso),
        env.DB.prepare(
          `INSERT INTO alerts (id, rule, scope, status, hits, clears, opens, summary, next_step, resolved_at, checked_at)
           VALUES (?1, 'backfill_stalled', ?2, 'resolved', 0, 3, 1, 's', 'n', ?3, ?3)`,
        ).bind(newTimeOrderedId(at), account, iso),
        env.DB.prepare(
          `INSERT INTO alert_notifications (id, alert_id, transition, message, attempts, sent_at)
           VALUES (?1, 'a', 'resolved', '{}', 1, ?2)`,
        ).bind(newTimeOrderedId(NOW - i * MIN), iso),
      );
    }
  }
  s.push(env.DB.prepare("INSERT INTO signature_failures (minute_ms, count) VALUES (?1, 2)").bind(NOW - 5 * MIN));
  // The legacy shard's row, closed to new accounts (migration 0011 writes it when accounts exist).
  if (n > 0) s.push(env.DB.prepare("INSERT INTO shards (name, status) VALUES ('DB', 'closed')"));
  await inChunks(s);
}

beforeEach(async () => {
  await clearTables();
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

async function idleRun(n: number): Promise<{ read: number; summary: MaintenanceSummary }> {
  await clearTables();
  await seedIdleMirror(n);
  const sent = captureSends();
  await runMaintenance(cronEnv(), NOW - MIN); // the previous run
  let summary: MaintenanceSummary | undefined;
  const read = await rowsReadBy(async () => {
    summary = await runMaintenance(cronEnv(), NOW);
  });
  expect(sent).toEqual([]);
  if (!summary) throw new Error("no summary");
  return { read, summary };
}

describe("an idle cron run, the whole scheduled handler", () => {
  it("reads the same catalog rows (31, plus 1 per gig shard: 34 here) and 11 per gig shard with 300 or 3,000 events, accounts (reconciled, live gigs, in the directory) and history", async () => {
    const small = await idleRun(300);
    const { read, summary } = await idleRun(3_000);
    expect(summary).toMatchObject({
      requeuedEvents: 0,
      revivedBackfills: 0,
      prunedEvents: 0,
      revivedPurges: 0,
      expiredGigs: 0,
      expiredAccounts: 0,
      reconcileQueued: 0,
    });
    // The log line's total is what D1 reported for every statement of the run, alerts included,
    // on every database: the catalog (here also legacy shard "DB", holding the accounts) and each gig shard.
    expect(summary.rowsReadByDatabase.DB).toBe(read);
    const shards = shardNames(env);
    expect(shards.length).toBeGreaterThanOrEqual(2);
    expect(summary.rowsRead).toBe(read + shards.length * IDLE_ROWS_PER_SHARD);
    // Constant: ten times the data, not one row more (per step too).
    expect(summary.rowsReadByStep).toEqual(small.summary.rowsReadByStep);
    expect(read).toBe(small.read);
    // Before: `schedule reconciliation` alone read every account and probed each one's gigs
    // (about 9,000 rows here at 3,000 accounts).
    // Per gig shard, an idle run reads 11 rows: a stalled-backfill seek (1), retention's two expired-gig
    // deletes and the idle-account seek (5), the reconciliation seek (1), the size query's one
    // d1_migrations row (1) and the alerts' three account reads (3). The catalog adds, per gig shard,
    // its pacing count row when it has one, and its `shards` row, which the measurement upserts (1).
    // The catalog's own: the stalled-move seek on directory_moving reads 1 row however many
    // accounts the directory holds; the measurement reads its d1_migrations row and updates the
    // legacy shard's row (2).
    const k = shards.length;
    expect(summary.rowsReadByStep).toEqual({
      "send the outbox": 1,
      "revive stalled backfills": 1 + k,
      "prune history": 6,
      "revive stalled purges": 1,
      "revive stalled moves": 1,
      "gig retention": 5 + 5 * k,
      "schedule reconciliation": 2 + k,
      "measure shards": 2 + 2 * k,
      alerts: 12 + 3 * k,
    });
    for (const shard of shards) expect(summary.rowsReadByDatabase[shard]).toBe(IDLE_ROWS_PER_SHARD);
    expect(read).toBe(IDLE_CATALOG_ROWS + k);
  }, 120_000);

  it("stays at that bound when the due accounts have no live gigs: they are set aside for a period", async () => {
    // 200 accounts due long ago whose gigs are all gone: nothing to reconcile, yet in the due range.
    await seedIdleMirror(200, () => NOW - 30 * DAY);
    await env.DB.prepare("UPDATE gigs SET removed_at = '2026-11-01T00:00:00.000Z'").run();
    const sent = captureSends();
    // Runs until every one has been looked at (the count is read once: nothing eligible, floor 1).
    for (let t = NOW - 30 * MIN; t < NOW; t += MIN) await runMaintenance(cronEnv(), t);
    expect(sent).toEqual([]);
    const summary = await runMaintenance(cronEnv(), NOW);
    // The catalog's count row and an empty seek on the legacy shard, plus one empty seek per gig shard.
    expect(summary.rowsReadByStep["schedule reconciliation"]).toBeLessThanOrEqual(2 + shardNames(env).length);
    // They come back a period later, not before.
    const later = await runMaintenance(cronEnv(), NOW + WEEK);
    expect(later.rowsReadByStep["schedule reconciliation"]).toBeGreaterThan(2 + shardNames(env).length);
  }, 120_000);
});

describe("every lifecycle cron query is an index seek", () => {
  const config = readConfig(cronEnv());
  async function plan(sql: string, params: unknown[]): Promise<string> {
    return (await planOf({ sql, params })).join("\n");
  }

  it("due for reconciliation: accounts_reconcile_due, gigs and purge markers by key", async () => {
    const statements = await captureStatements(() => dueForReconcile(env.DB, NOW, WEEK, 5));
    const [due] = plannable(statements);
    const lines = await plan(due?.sql ?? "", due?.params ?? []);
    expect(lines).toMatch(/SEARCH a USING INDEX accounts_reconcile_due \(<expr><\?\)/);
    expect(lines).toMatch(/SEARCH g USING (COVERING )?INDEX gigs_by_account_(newest|removed) \(account=\?/);
    expect(lines).toMatch(/SEARCH p USING (COVERING )?INDEX sqlite_autoindex_purged_accounts_1 \(account=\?\)/);
    expect(lines).not.toMatch(/^SCAN a$|USE TEMP B-TREE FOR ORDER BY/m);
  });

  it("holding accounts: by primary key, through json_each", async () => {
    for (const s of holdStatements(env.DB, { requeue: ["a"], later: ["b"], queued: ["a"] }, NOW, WEEK)) {
      const captured = await captureStatements(() => s.run());
      expect(captured).toEqual([]);
    }
    const sql = "UPDATE accounts SET reconcile_hold_ms = ?2 WHERE id IN (SELECT value FROM json_each(?1))";
    expect(await plan(sql, ['["a"]', NOW])).toMatch(
      /SEARCH accounts USING (COVERING )?INDEX sqlite_autoindex_accounts_1 \(id=\?\)/,
    );
  });

  it("the cron's own state: by primary key", async () => {
    expect(await plan("SELECT value, at_ms FROM cron_state WHERE name = ?1", ["reconcile_accounts"])).toMatch(
      /SEARCH cron_state USING INDEX sqlite_autoindex_cron_state_1 \(name=\?\)/,
    );
  });

  it("with something for every lifecycle step to do, no statement scans a table but the daily count", async () => {
    const account = accountId(1);
    await seedIdleMirror(3, () => NOW - 30 * DAY); // due for reconciliation
    await env.DB.batch([
      // A purge whose message was lost.
      env.DB.prepare(
        "INSERT INTO purged_accounts (account, user, reason, requested_at, progress_ms) VALUES (?1, 'u', 'api', '2026-11-01', ?2)",
      ).bind(accountId(99), NOW - 20 * MIN),
      // An expired gig and an idle account.
      env.DB.prepare(
        "INSERT INTO gigs (id, account, start_ms, data, synced_ms) VALUES ('0187dbfa-6f5e-a33a-af26-7e12ff408fea', ?1, ?2, '{}', ?2)",
      ).bind(account, NOW - 400 * DAY),
      env.DB.prepare(
        "INSERT INTO accounts (id, user, last_webhook_at) VALUES (?1, 'u', '2025-01-01T00:00:00.000Z')",
      ).bind(accountId(98)),
    ]);
    captureSends();
    let summary: MaintenanceSummary | undefined;
    const statements = plannable(
      await captureStatements(async () => {
        summary = await runMaintenance(cronEnv(), NOW);
      }),
    );
    expect(summary).toMatchObject({ revivedPurges: 1, expiredGigs: 1, expiredAccounts: 1, reconcileQueued: 1 });
    const plans = await Promise.all(statements.map(async (s) => ({ sql: s.sql, plan: await planOf(s) })));
    const scanning = plans.filter((p) => fullTableScans(p.plan).length > 0).map((p) => p.sql);
    expect(scanning).toEqual([]);
    // The one statement that reads every account (through an index): the pacing's count, run
    // once a day and only when something is due.
    const [count] = await captureStatements(() => countReconcilable(env.DB));
    expect(statements.map((s) => s.sql)).toContain(count?.sql);
    const all = plans.map((p) => p.plan.join("\n")).join("\n");
    expect(all).toMatch(/USING (COVERING )?INDEX purged_accounts_pending/);
    expect(all).toMatch(/USING (COVERING )?INDEX gigs_by_newest/);
    expect(all).toMatch(/USING (COVERING )?INDEX gigs_removed_by_start/);
    expect(all).toMatch(/USING (COVERING )?INDEX accounts_by_webhook/);
    expect(all).toMatch(/USING INDEX accounts_reconcile_due/);
    expect(config.reconcileDays).toBe(7);
  });
});

describe("reconciliation pacing", () => {
  it("derives the run's share from the accounts and the runs per period, with a floor and a ceiling", () => {
    // 7 days of minute runs: 10,080 runs; 4× the steady share, rounded up.
    expect(reconcilePerRun(0, WEEK)).toBe(RECONCILE_MIN_PER_RUN);
    expect(reconcilePerRun(3_000, WEEK)).toBe(2);
    expect(reconcilePerRun(50_000, WEEK)).toBe(20);
    expect(reconcilePerRun(252_000, WEEK)).toBe(100);
    expect(reconcilePerRun(10_000_000, WEEK)).toBe(RECONCILE_MAX_PER_RUN);
    expect(reconcilePerRun(3_000, DAY)).toBe(9);
    // Sends and writes are batched: a run at the ceiling is one sendBatch (≤ 100 messages).
    expect(RECONCILE_MAX_PER_RUN).toBeLessThanOrEqual(100);
  });

  it("spreads a backlog: 300 accounts due at once are queued 1 a run, each once", async () => {
    await seedIdleMirror(300, () => NOW - 30 * DAY);
    const sent = captureSends();
    const config = readConfig(cronEnv());
    const perRun: number[] = [];
    for (let t = NOW; t < NOW + 20 * MIN; t += MIN) perRun.push(await scheduleReconciliation(cronEnv(), config, t));
    // 300 accounts, 10,080 runs a week: ceil(4 × 300 / 10,080) = 1 a run (the old code queued 25).
    expect(perRun).toEqual(Array(20).fill(1));
    expect(new Set(sent.map((j) => j.account)).size).toBe(20);
    expect(sent.every((j) => j.kind === "backfill" && j.origin === "reconcile")).toBe(true);
  });
});
