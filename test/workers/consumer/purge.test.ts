/**
 * accounts.removed and the purge: everything of the account goes, nothing of another; late work
 * stores nothing; a crash mid-way resumes; a body another account's event uses survives.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runMaintenance } from "../../../src/consumer/maintenance.ts";
import { ingestWebhook } from "../../../src/domain/ingest.ts";
import type { Job } from "../../../src/domain/jobs.ts";
import { deleteAccount, deleteUser } from "../../../src/domain/lifecycle/delete-request.ts";
import { PURGE_GIG_CHUNK } from "../../../src/domain/lifecycle/purge.ts";
import { sha256Hex } from "../../../src/domain/signature.ts";
import { clearTables, countRows, gigIds } from "../helpers.ts";
import { job, liveGigCount, type Meter, meter, runBatch, useLocalArgyle } from "./helpers.ts";
import { countIn, place, seedGigs, shard } from "./shard-helpers.ts";

let current: Meter | undefined;
afterEach(() => {
  vi.restoreAllMocks();
  current = undefined;
});
beforeEach(async () => {
  await clearTables();
});

/** One meter per test (after the local Argyle is in place): meters must not wrap each other. */
function metered(): Meter {
  current ??= meter();
  return current;
}

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text) as Uint8Array<ArrayBuffer>;

function removedBody(account: string, user: string): Uint8Array<ArrayBuffer> {
  return bytes(JSON.stringify({ event: "accounts.removed", name: "sub", data: { account, user } }));
}

function syncedBody(account: string, user: string): Uint8Array<ArrayBuffer> {
  return bytes(
    JSON.stringify({
      event: "gigs.fully_synced",
      name: "sub",
      data: { account, user, available_count: 30, available_from: null, available_to: null },
    }),
  );
}

/** Ingests a body as the receiver would and runs the jobs it queued until none is left. */
async function deliver(body: Uint8Array<ArrayBuffer>): Promise<void> {
  const m = metered();
  m.sent.length = 0;
  await ingestWebhook({ db: env.DB, jobs: env.JOBS }, body);
  await drain(m.sent.splice(0));
}

async function drain(jobs: Job[]): Promise<number> {
  const m = metered();
  const queue = [...jobs];
  let invocations = 0;
  while (queue.length > 0) {
    const next = queue.shift() as Job;
    m.sent.length = 0;
    const result = await runBatch([next]);
    invocations++;
    queue.push(...m.sent);
    if (result.retryMessages.length > 0) queue.push(next);
    if (invocations > 500) throw new Error("never drained");
  }
  return invocations;
}

async function countWhere(sql: string, ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${sql}`)
    .bind(...params)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

describe("accounts.removed", () => {
  it("purges every gig, event, body, failure and the account row of that account, and nothing of another", async () => {
    const argyle = useLocalArgyle({ seed: 7, accounts: [{ gigs: 30 }, { gigs: 20 }] });
    const [a, b] = argyle.store.accounts();
    if (!a || !b) throw new Error("two accounts expected");
    // Accounts stored before sharding: the catalog serves them as shard "DB".
    await place(a.id, "DB");
    await place(b.id, "DB");
    await deliver(syncedBody(a.id, a.user));
    await deliver(syncedBody(b.id, b.user));
    expect(await liveGigCount(a.id)).toBe(30);
    expect(await liveGigCount(b.id)).toBe(20);
    await env.DB.prepare(
      `INSERT INTO failures (id, created_at, job_id, kind, account, event_id, job, reason, attempts)
       VALUES ('f1', '2026-01-01T00:00:00Z', 'j1', 'fetch_gigs', ?1, 'e', '{}', 'transient', 3),
              ('f2', '2026-01-01T00:00:00Z', 'j2', 'fetch_gigs', ?2, 'e', '{}', 'transient', 3)`,
    )
      .bind(a.id, b.id)
      .run();
    const bEvents = await countWhere("events WHERE account = ?1", b.id);

    await deliver(removedBody(a.id, a.user));

    expect(await countWhere("gigs WHERE account = ?1", a.id)).toBe(0);
    expect(await countWhere("events WHERE account = ?1", a.id)).toBe(0);
    expect(await countWhere("failures WHERE account = ?1", a.id)).toBe(0);
    expect(await countWhere("accounts WHERE id = ?1", a.id)).toBe(0);
    expect(await countWhere("event_bodies WHERE sha256 = ?1", await sha256Hex(syncedBody(a.id, a.user)))).toBe(0);
    // The other account is untouched.
    expect(await liveGigCount(b.id)).toBe(20);
    expect(await countWhere("events WHERE account = ?1", b.id)).toBe(bEvents);
    expect(await countWhere("failures WHERE account = ?1", b.id)).toBe(1);
    expect(await countWhere("accounts WHERE id = ?1", b.id)).toBe(1);
    expect(await countWhere("event_bodies WHERE sha256 = ?1", await sha256Hex(syncedBody(b.id, b.user)))).toBe(1);

    const audit = await env.DB.prepare("SELECT * FROM audit_log WHERE account = ?1").bind(a.id).all();
    expect(audit.results).toHaveLength(1);
    const row = audit.results[0] as Record<string, string>;
    expect(row).toMatchObject({ action: "purge", reason: "webhook", user: a.user });
    // Both events of the account: the fully_synced and the accounts.removed itself.
    expect(JSON.parse(row.detail as string)).toMatchObject({ gigs: 30, events: 2, bodies: 2, failures: 1 });
  });

  it("an accounts.removed recorded before this release (no work) is purged once migration 0010 runs", async () => {
    const argyle = useLocalArgyle({ seed: 8, accounts: [{ gigs: 10 }] });
    const [a] = argyle.store.accounts();
    if (!a) throw new Error("an account expected");
    await place(a.id, "DB");
    await deliver(syncedBody(a.id, a.user));
    // As the previous release stored it: recorded, no jobs, marked sent; nothing queued.
    const m = metered();
    m.sent.length = 0;
    const { id } = await ingestWebhook({ db: env.DB, jobs: env.JOBS }, removedBody(a.id, a.user));
    m.sent.length = 0;
    await env.DB.prepare("UPDATE events SET status = 'recorded', jobs = 0, enqueued_at = received_at WHERE id = ?1")
      .bind(id)
      .run();
    const migration = env.TEST_MIGRATIONS.find((mg) => mg.name.startsWith("0010_"));
    if (!migration) throw new Error("migration 0010 missing");
    // Its data step again (already applied to the empty database at setup; its index exists).
    for (const query of migration.queries.filter((q) => q.includes("UPDATE events"))) await env.DB.prepare(query).run();

    await runMaintenance(env, Date.now() + 10 * 60_000);
    expect(m.sent.map((j) => j.kind)).toContain("purge_account");
    await drain(m.sent.splice(0));
    expect(await countWhere("purged_accounts WHERE account = ?1 AND completed_at IS NOT NULL", a.id)).toBe(1);
    expect(await countWhere("gigs WHERE account = ?1", a.id)).toBe(0);
  });

  it("keeps a body that another account's event still uses", async () => {
    const [a, b] = gigIds(2, "0aaa");
    const body = removedBody(a as string, b as string);
    const sha = await sha256Hex(body);
    // An event of another account (an operator's replay filed elsewhere, say) sharing the bytes.
    await env.DB.batch([
      env.DB.prepare("INSERT INTO event_bodies (sha256, body, first_received_at) VALUES (?1, ?2, '2026-01-01')").bind(
        sha,
        body,
      ),
      env.DB.prepare(
        `INSERT INTO events (id, received_at, status, account, body_sha256, body_bytes, enqueued_at)
         VALUES ('00000000-0000-7000-8000-000000000001', '2026-01-01', 'recorded', ?1, ?2, 10, '2026-01-01')`,
      ).bind(b, sha),
    ]);
    await deliver(body);
    expect(await countWhere("events WHERE account = ?1", a)).toBe(0);
    expect(await countWhere("event_bodies WHERE sha256 = ?1", sha)).toBe(1);

    // Once the other event goes, so does the body, with the next purge.
    await drain([job("purge_account", { account: b as string, reason: "api", token_role: "admin" })]);
    expect(await countWhere("event_bodies WHERE sha256 = ?1", sha)).toBe(0);
  });

  it("a fetch or backfill that arrives after the purge stores nothing, and says so", async () => {
    const argyle = useLocalArgyle({ seed: 8, accounts: [{ gigs: 5 }] });
    const [a] = argyle.store.accounts();
    if (!a) throw new Error("no account");
    const ids = argyle.store.gigsOf(a.id).map((g) => g.id as string);
    await drain([job("purge_account", { account: a.id, user: a.user, reason: "webhook" })]);
    const log = vi.spyOn(console, "log");

    await drain([
      job("fetch_gigs", { account: a.id, user: a.user, ids }),
      job("backfill", { account: a.id, user: a.user }),
      job("list_window", { account: a.id, from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z" }),
      job("remove_gigs", { account: a.id, ids }),
    ]);
    expect(await countWhere("gigs WHERE account = ?1", a.id)).toBe(0);
    expect(await countWhere("accounts WHERE id = ?1", a.id)).toBe(0);
    const notes = log.mock.calls
      .map(([line]) => JSON.parse(String(line)) as { msg: string; kind?: string; note?: string })
      .filter((line) => line.msg === "job");
    expect(notes.map((n) => [n.kind, n.note])).toEqual([
      ["fetch_gigs", "account purged: stored nothing"],
      ["backfill", "account purged: stored nothing"],
      ["list_window", "account purged: stored nothing"],
      ["remove_gigs", "account purged: stored nothing"],
    ]);
  });

  it("a fetch whose write lands just after the purge was marked stores nothing (the write itself checks)", async () => {
    const argyle = useLocalArgyle({ seed: 9, accounts: [{ gigs: 3 }] });
    const [a] = argyle.store.accounts();
    if (!a) throw new Error("no account");
    const ids = argyle.store.gigsOf(a.id).map((g) => g.id as string);
    // The purge is marked while the fetch is talking to Argyle: after the job's start, before its write.
    const realFetch = vi.mocked(globalThis.fetch).getMockImplementation();
    let marked = false;
    vi.mocked(globalThis.fetch).mockImplementation(async (...args) => {
      if (!marked) {
        marked = true;
        await env.DB.prepare(
          "INSERT INTO purged_accounts (account, reason, requested_at, progress_ms) VALUES (?1, 'webhook', 'now', 0)",
        )
          .bind(a.id)
          .run();
      }
      return (realFetch as typeof fetch)(...args);
    });
    await runBatch([job("fetch_gigs", { account: a.id, user: a.user, ids })]);
    expect(await countWhere("gigs WHERE account = ?1", a.id)).toBe(0);
    expect(await countWhere("accounts WHERE id = ?1", a.id)).toBe(0);
  });

  it("purges a large account in bounded chunks, and resumes after a crash mid-way with exact counts", async () => {
    const account = "0bbb0000-0000-4000-8000-000000000001";
    const total = PURGE_GIG_CHUNK * 2 + 500;
    const home = shard("SHARD_1");
    await place(account, "SHARD_1");
    await seedGigs(home, account, total);
    await home.prepare("INSERT INTO accounts (id) VALUES (?1)").bind(account).run();

    // The shard's second chunk fails, as a crash would leave it: not applied.
    const batch = home.batch.bind(home);
    let calls = 0;
    vi.spyOn(home, "batch").mockImplementation((statements) => {
      calls++;
      if (calls === 2) return Promise.reject(new Error("D1_ERROR: Network connection lost."));
      return batch(statements);
    });
    const purge = job("purge_account", { account, reason: "api", token_role: "admin" });
    const first = await runBatch([purge]);
    expect(first.retryMessages).toHaveLength(1);
    expect(await countIn(home, "gigs WHERE account = ?1", account)).toBe(total - PURGE_GIG_CHUNK);
    // Marked from the first chunk on, in the catalog and on the shard: the account already reads as deleted.
    expect(await countWhere("purged_accounts WHERE account = ?1 AND completed_at IS NULL", account)).toBe(1);
    expect(await countIn(home, "purged_accounts WHERE account = ?1 AND completed_at IS NULL", account)).toBe(1);
    vi.restoreAllMocks();

    const m = metered();
    await runBatch([purge], { attempts: 2 });
    expect(m.d1).toBeLessThanOrEqual(50);
    await drain(m.sent.splice(0));
    expect(await countIn(home, "gigs WHERE account = ?1", account)).toBe(0);
    expect(await countIn(home, "accounts WHERE id = ?1", account)).toBe(0);
    // The shard's marker stays (completed): late work for the account still stores nothing there.
    expect(await countIn(home, "purged_accounts WHERE account = ?1 AND completed_at IS NOT NULL", account)).toBe(1);
    const audit = await env.DB.prepare("SELECT detail, token_role, reason FROM audit_log WHERE account = ?1")
      .bind(account)
      .first<{ detail: string; token_role: string; reason: string }>();
    expect(audit).toMatchObject({ token_role: "admin", reason: "api" });
    expect(JSON.parse(audit?.detail ?? "{}")).toMatchObject({ gigs: total, events: 0 });
    expect(await countWhere("purged_accounts WHERE account = ?1 AND gigs_deleted = ?2", account, total)).toBe(1);
    expect(await countRows("purge_bodies")).toBe(0);
  });

  it("purges an account in the middle of a move from both shards, counting its gigs once, and leaves other accounts", async () => {
    const account = "0bbb0000-0000-4000-8000-000000000002";
    const other = "0bbb0000-0000-4000-8000-000000000003";
    const [from, to] = [shard("SHARD_1"), shard("SHARD_2")];
    await place(account, "SHARD_1", { move: { state: "copying", to: "SHARD_2" } });
    await place(other, "SHARD_2");
    await seedGigs(from, account, 1_200);
    await seedGigs(to, account, 700); // copied so far
    await seedGigs(to, other, 30, "0ddd0000");
    for (const db of [from, to]) await db.prepare("INSERT INTO accounts (id) VALUES (?1)").bind(account).run();
    await to.prepare("INSERT INTO accounts (id) VALUES (?1)").bind(other).run();

    await drain([job("purge_account", { account, reason: "webhook" })]);

    for (const db of [from, to]) {
      expect(await countIn(db, "gigs WHERE account = ?1", account)).toBe(0);
      expect(await countIn(db, "accounts WHERE id = ?1", account)).toBe(0);
      expect(await countIn(db, "purged_accounts WHERE account = ?1 AND completed_at IS NOT NULL", account)).toBe(1);
    }
    expect(await countIn(to, "gigs WHERE account = ?1", other)).toBe(30);
    expect(await countIn(to, "accounts WHERE id = ?1", other)).toBe(1);
    const detail = await env.DB.prepare("SELECT detail FROM audit_log WHERE account = ?1")
      .bind(account)
      .first<string>("detail");
    // The home shard's count: the copies on the target are the same gigs.
    expect(JSON.parse(String(detail))).toMatchObject({ gigs: 1_200 });
  });

  it("purges an account no job ever placed from the catalog alone", async () => {
    const account = "0bbb0000-0000-4000-8000-000000000004";
    await env.DB.prepare(
      `INSERT INTO failures (id, created_at, job_id, kind, account, event_id, job, reason, attempts)
       VALUES ('f9', '2026-01-01T00:00:00Z', 'j9', 'fetch_gigs', ?1, 'e', '{}', 'transient', 3)`,
    )
      .bind(account)
      .run();
    await drain([job("purge_account", { account, reason: "api", token_role: "admin" })]);
    expect(await countWhere("failures WHERE account = ?1", account)).toBe(0);
    expect(await countWhere("purged_accounts WHERE account = ?1 AND completed_at IS NOT NULL", account)).toBe(1);
    for (const name of ["SHARD_1", "SHARD_2"] as const)
      expect(await countIn(shard(name), "purged_accounts WHERE account = ?1", account)).toBe(0);
  });

  it("a deletion through the API marks the account on its shard at once, and finds a user's accounts in the directory", async () => {
    const user = "0eee0000-0000-4000-8000-000000000001";
    const [a, b] = ["0bbb0000-0000-4000-8000-000000000005", "0bbb0000-0000-4000-8000-000000000006"];
    await place(a, "SHARD_1", { user });
    await place(b, "SHARD_2", { user });
    await seedGigs(shard("SHARD_1"), a, 5);
    await seedGigs(shard("SHARD_2"), b, 5, "0ddd0000");
    metered();

    const result = await deleteUser({ db: env.DB, jobs: env.JOBS, bindings: env }, user, "admin");
    expect(result.accounts.map((r) => [r.account, r.outcome])).toEqual([
      [a, "scheduled"],
      [b, "scheduled"],
    ]);
    // Before the purge job runs, each home shard already holds the marker its reads and writes check.
    expect(await countIn(shard("SHARD_1"), "purged_accounts WHERE account = ?1", a)).toBe(1);
    expect(await countIn(shard("SHARD_2"), "purged_accounts WHERE account = ?1", b)).toBe(1);
    expect(await countIn(shard("SHARD_2"), "purged_accounts WHERE account = ?1", a)).toBe(0);

    await drain(metered().sent.splice(0));
    expect(await countIn(shard("SHARD_1"), "gigs")).toBe(0);
    expect(await countIn(shard("SHARD_2"), "gigs")).toBe(0);
    const again = await deleteAccount({ db: env.DB, jobs: env.JOBS, bindings: env }, a, "admin");
    expect(again).toMatchObject({ outcome: "deleted", purge: { gigs_deleted: 5 } });
  });
});
