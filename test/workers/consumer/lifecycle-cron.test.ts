/**
 * The cron's lifecycle steps: scheduled reconciliation finds and repairs drift no webhook
 * reported, purges whose message was lost are revived, and GIG_RETENTION_DAYS expires old data.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../../src/consumer/index.ts";
import type { Job } from "../../../src/domain/jobs.ts";
import { clearTables, gigIds } from "../helpers.ts";
import { countAcross, homeDb } from "../shards.ts";
import { job, type Meter, meter, runBatch, storedGig, useLocalArgyle } from "./helpers.ts";

const DAY = 86_400_000;

let m: Meter | undefined;
beforeEach(clearTables);
afterEach(() => {
  vi.restoreAllMocks();
  m = undefined;
});

async function runCron(at: number, vars: Record<string, string> = {}): Promise<void> {
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "*/5 * * * *" }), {
    ...env,
    ...vars,
  } as typeof env);
}

async function drain(jobs: Job[]): Promise<void> {
  m ??= meter();
  const queue = [...jobs];
  for (let n = 0; queue.length > 0; n++) {
    if (n > 200) throw new Error("never drained");
    const next = queue.shift() as Job;
    m.sent.length = 0;
    const result = await runBatch([next]);
    queue.push(...m.sent);
    if (result.retryMessages.length > 0) queue.push(next);
  }
}

/** The account's sync state, on the shard its first job placed it in. */
async function accountRow(id: string) {
  return (await homeDb(id))
    .prepare("SELECT last_reconciled_ms, drift_found, drift_total, reconcile_queued_ms FROM accounts WHERE id = ?1")
    .bind(id)
    .first<{
      last_reconciled_ms: number | null;
      drift_found: number;
      drift_total: number;
      reconcile_queued_ms: number | null;
    }>();
}

describe("scheduled reconciliation", () => {
  it("finds and repairs a gig removed and one changed at Argyle without a webhook, and counts them", async () => {
    const argyle = useLocalArgyle({ seed: 21, accounts: [{ gigs: 40 }] });
    const [account] = argyle.store.accounts();
    if (!account) throw new Error("no account");
    m = meter();
    await drain([job("backfill", { account: account.id, user: account.user })]);
    const first = await accountRow(account.id);
    expect(first?.last_reconciled_ms).toEqual(expect.any(Number));
    expect(first?.drift_found).toBe(0);

    // Argyle changes its data and no webhook reaches us.
    const [gone, changed] = argyle.store.gigsOf(account.id).map((g) => g.id as string);
    argyle.store.removeGigs(account.id, [gone as string]);
    argyle.store.updateGigs(account.id, [changed as string]);
    const newer = JSON.stringify(argyle.store.gig(changed as string));
    expect((await storedGig(changed as string))?.data).not.toBe(newer);

    // Not yet due: nothing is queued.
    m.sent.length = 0;
    await runCron(Date.now() + 6 * DAY);
    expect(m.sent.filter((j) => j.kind === "backfill")).toEqual([]);

    // Due after RECONCILE_DAYS (7): a reconciliation pass through the backfill path.
    const at = Date.now() + 8 * DAY;
    await runCron(at);
    const queued = m.sent.filter((j) => j.kind === "backfill");
    expect(queued).toEqual([expect.objectContaining({ account: account.id, origin: "reconcile", pass: null })]);
    expect((await accountRow(account.id))?.reconcile_queued_ms).toBe(at);
    // Queued once: the next run leaves it to its pass.
    m.sent.length = 0;
    await runCron(at + 5 * 60_000);
    expect(m.sent.filter((j) => j.kind === "backfill")).toEqual([]);

    await drain(queued);
    expect((await storedGig(gone as string))?.removed_at).toEqual(expect.any(String));
    expect((await storedGig(changed as string))?.data).toBe(newer);
    const after = await accountRow(account.id);
    expect(after?.drift_found).toBe(2);
    expect(after?.drift_total).toBe(2);
    expect(after?.last_reconciled_ms).toBeGreaterThan(first?.last_reconciled_ms ?? 0);
  });

  it("drift_found is the latest pass's: the drift alert opens after a drifting pass and resolves after a clean one", async () => {
    const argyle = useLocalArgyle({ seed: 23, accounts: [{ gigs: 20 }] });
    const [account] = argyle.store.accounts();
    if (!account) throw new Error("no account");
    m = meter();
    await drain([job("backfill", { account: account.id, user: account.user })]);
    const drift = async () =>
      env.DB.prepare("SELECT status FROM alerts WHERE rule = 'reconciliation_drift'").first<{ status: string }>();
    // Argyle changes a gig and no webhook reaches us; a reconciliation finds it.
    const [changed] = argyle.store.gigsOf(account.id).map((g) => g.id as string);
    argyle.store.updateGigs(account.id, [changed as string]);
    let at = Date.now() + 8 * DAY;
    m.sent.length = 0;
    await runCron(at);
    await drain(m.sent.splice(0).filter((j) => j.kind === "backfill"));
    expect(await accountRow(account.id)).toMatchObject({ drift_found: 1, drift_total: 1 });
    // ALERT_CHECKS (3) runs in a row with the condition: open.
    for (let i = 1; i <= 3; i++) await runCron(at + i * 60_000);
    expect(await drift()).toEqual({ status: "open" });

    // The next reconciliation finds nothing: its pass starts from zero, and the alert resolves.
    at += 8 * DAY;
    m.sent.length = 0;
    await runCron(at);
    const queued = m.sent.splice(0).filter((j) => j.kind === "backfill");
    expect(queued).toEqual([expect.objectContaining({ account: account.id, origin: "reconcile" })]);
    await drain(queued);
    expect(await accountRow(account.id)).toMatchObject({ drift_found: 0, drift_total: 1 });
    for (let i = 1; i <= 3; i++) await runCron(at + i * 60_000);
    expect(await drift()).toEqual({ status: "resolved" });
  });

  it("a pass that skipped a gig holds the account a period: no hourly re-listing, one failure row, no drift after it", async () => {
    const argyle = useLocalArgyle({ seed: 24, accounts: [{ gigs: 20 }] });
    const [account] = argyle.store.accounts();
    if (!account) throw new Error("no account");
    vi.spyOn(console, "error").mockImplementation(() => {});
    m = meter();
    await drain([job("backfill", { account: account.id, user: account.user })]);
    const stamped = (await accountRow(account.id))?.last_reconciled_ms;
    const [broken, changed] = argyle.store.gigsOf(account.id).map((g) => g.id as string);
    (argyle.store.gig(broken as string) as unknown as Record<string, unknown>).account = null;
    const clock = vi.spyOn(Date, "now");
    const passAt = async (at: number) => {
      clock.mockReturnValue(at);
      m?.sent.splice(0);
      await runCron(at);
      const queued = (m?.sent.splice(0) ?? []).filter((j) => j.kind === "backfill");
      await drain(queued);
      return queued.length;
    };
    const failures = async () =>
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM failures").first<{ n: number }>())?.n ?? 0;
    const at = Date.now() + 8 * DAY;
    expect(await passAt(at)).toBe(1);
    // Skipped a gig: not a complete listing, so not stamped; but the pass is over.
    expect((await accountRow(account.id))?.last_reconciled_ms).toBe(stamped);
    expect(await failures()).toBe(1);
    // Hours later the account is not listed again.
    for (const h of [2, 5, 30]) expect(await passAt(at + h * 3_600_000)).toBe(0);
    // A webhook-driven update after the pass is not drift.
    const before = await accountRow(account.id);
    argyle.store.updateGigs(account.id, [changed as string]);
    clock.mockReturnValue(at + 31 * 3_600_000);
    await drain([job("fetch_gigs", { account: account.id, user: account.user, ids: [changed as string] })]);
    expect(await accountRow(account.id)).toMatchObject({
      drift_found: before?.drift_found,
      drift_total: before?.drift_total,
    });
    // A period later it is listed again; the same bad gig records no second failure row.
    expect(await passAt(at + 8 * DAY)).toBe(1);
    expect(await failures()).toBe(1);
  });

  it("a pass finding no difference counts none", async () => {
    const argyle = useLocalArgyle({ seed: 22, accounts: [{ gigs: 10 }] });
    const [account] = argyle.store.accounts();
    if (!account) throw new Error("no account");
    m = meter();
    await drain([job("backfill", { account: account.id, user: account.user })]);
    m.sent.length = 0;
    await runCron(Date.now() + 8 * DAY);
    await drain(m.sent.splice(0));
    expect((await accountRow(account.id))?.drift_found).toBe(0);
  });
});

describe("purge revival and retention", () => {
  it("revives a purge whose message was lost, and the purge completes", async () => {
    m = meter();
    const account = "0eee0000-0000-4000-8000-000000000001";
    await env.DB.batch([
      env.DB.prepare("INSERT INTO accounts (id) VALUES (?1)").bind(account),
      env.DB.prepare("INSERT INTO gigs (id, account, synced_ms, data) VALUES (?1, ?2, 1, '{}')").bind(
        gigIds(1, "0eee")[0],
        account,
      ),
      env.DB.prepare(
        "INSERT INTO purged_accounts (account, reason, requested_at, progress_ms) VALUES (?1, 'webhook', 'x', ?2)",
      ).bind(account, Date.now()),
    ]);
    await runCron(Date.now());
    expect(m.sent.filter((j) => j.kind === "purge_account")).toEqual([]);
    await runCron(Date.now() + 16 * 60_000);
    const revived = m.sent.filter((j) => j.kind === "purge_account");
    expect(revived).toEqual([expect.objectContaining({ account, reason: "webhook" })]);
    await drain(revived);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM gigs").first("n")).toBe(0);
    expect(await env.DB.prepare("SELECT completed_at FROM purged_accounts").first("completed_at")).toEqual(
      expect.any(String),
    );
  });

  it("GIG_RETENTION_DAYS deletes old gigs and purges idle accounts (reason retention); unset keeps everything", async () => {
    m = meter();
    const [oldGig, newGig] = gigIds(2, "0fff");
    const idle = "0fff0000-0000-4000-8000-00000000000a";
    const active = "0fff0000-0000-4000-8000-00000000000b";
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO gigs (id, account, synced_ms, data, start_ms) VALUES (?1, ?3, 1, '{}', ?4), (?2, ?3, 1, '{}', ?5)",
      ).bind(oldGig, newGig, active, now - 100 * DAY, now - DAY),
      env.DB.prepare("INSERT INTO accounts (id, last_webhook_at) VALUES (?1, ?2), (?3, ?4)").bind(
        idle,
        new Date(now - 91 * DAY).toISOString(),
        active,
        new Date(now - DAY).toISOString(),
      ),
    ]);
    await runCron(now);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM gigs").first("n")).toBe(2);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM purged_accounts").first("n")).toBe(0);

    await runCron(now, { GIG_RETENTION_DAYS: "90" });
    expect((await env.DB.prepare("SELECT id FROM gigs").all()).results).toEqual([{ id: newGig }]);
    const purges = m.sent.filter((j) => j.kind === "purge_account");
    expect(purges).toEqual([expect.objectContaining({ account: idle, reason: "retention" })]);
    await drain(purges);
    expect(await env.DB.prepare("SELECT id FROM accounts").all()).toMatchObject({ results: [{ id: active }] });
    const audit = await env.DB.prepare("SELECT action, reason, account FROM audit_log ORDER BY action").all();
    expect(audit.results).toEqual([
      { action: "purge", reason: "retention", account: idle },
      { action: "retention_gigs", reason: "retention", account: null },
    ]);
  });

  it("a webhook after a retention purge mirrors the account afresh; after a deletion it stays deleted", async () => {
    const argyle = useLocalArgyle({ seed: 23, accounts: [{ gigs: 3 }, { gigs: 3 }] });
    const [a, b] = argyle.store.accounts();
    if (!a || !b) throw new Error("two accounts expected");
    m = meter();
    await drain([
      job("purge_account", { account: a.id, reason: "retention" }),
      job("purge_account", { account: b.id, reason: "webhook" }),
    ]);
    const later = new Date(Date.now() + 1000).toISOString();
    const fetches = [a, b].map((acc) =>
      job("fetch_gigs", {
        account: acc.id,
        user: acc.user,
        received_at: later,
        ids: argyle.store.gigsOf(acc.id).map((g) => g.id as string),
      }),
    );
    await drain(fetches);
    // On every gig shard: the deleted account must be stored nowhere (it is not even placed).
    const count = (acc: string) => countAcross("SELECT COUNT(*) AS n FROM gigs WHERE account = ?1", acc);
    expect(await count(a.id)).toBe(3);
    expect(await count(b.id)).toBe(0);
  });
});
