import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { LocalArgyle } from "../../../src/local-argyle/app.ts";
import { clearTables } from "../helpers.ts";
import { firstAcross, homeDb } from "../shards.ts";
import { job, liveGigCount, meter, runBatch, storedGig, useLocalArgyle } from "./helpers.ts";

let argyle: LocalArgyle;
let account: string;
let user: string;

beforeEach(async () => {
  await clearTables();
  argyle = useLocalArgyle({ seed: 7, accounts: [{ gigs: 30 }, { gigs: 450 }] });
  const first = argyle.store.accounts()[0];
  if (!first) throw new Error("dataset has no accounts");
  account = first.id;
  user = first.user;
});

afterEach(() => vi.restoreAllMocks());

function gigIdsOf(acct: string, n?: number): string[] {
  return argyle.store
    .gigsOf(acct)
    .slice(0, n)
    .map((g) => g.id as string);
}

describe("fetch_gigs", () => {
  it("stores each gig exactly as the local Argyle serves it", async () => {
    const ids = gigIdsOf(account, 3);
    const result = await runBatch([job("fetch_gigs", { account, user, ids })]);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    for (const id of ids) {
      const row = await storedGig(id);
      const served = await argyle.app.request(`https://argyle.test/v2/gigs/${id}`, {
        headers: { authorization: `Basic ${btoa("test-key-id:test-key-secret")}` },
      });
      expect(JSON.parse(String(row?.data))).toEqual(await served.json());
      expect(row).toMatchObject({ account, user, removed_at: null });
    }
    const state = await firstAcross("SELECT * FROM accounts WHERE id = ?", account);
    expect(state).toMatchObject({ user, last_fetch_at: expect.any(String), last_error: null });
  });

  it("tombstones a gig Argyle answers 404 for", async () => {
    const [gone, kept] = gigIdsOf(account, 2) as [string, string];
    argyle.faults.update({ notFoundIds: [gone] });
    const result = await runBatch([job("fetch_gigs", { account, user, ids: [gone, kept] })]);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect((await storedGig(gone))?.removed_at).toEqual(expect.any(String));
    expect((await storedGig(kept))?.removed_at).toBeNull();
  });

  it("skips gigs already fetched after the webhook arrived: duplicates cost no API call", async () => {
    const ids = gigIdsOf(account, 4);
    const receivedAt = new Date(Date.now() - 1000).toISOString();
    await runBatch([job("fetch_gigs", { account, user, ids, received_at: receivedAt })]);
    argyle.stats.reset();
    const again = await runBatch([job("fetch_gigs", { account, user, ids, received_at: receivedAt })]);
    expect(again.explicitAcks).toEqual(["msg-0"]);
    expect(argyle.stats.snapshot().gigFetchAttempts).toEqual({});
    // A webhook that arrives later than our copy means a newer change: fetch again.
    await runBatch([job("fetch_gigs", { account, user, ids, received_at: new Date(Date.now() + 1000).toISOString() })]);
    expect(Object.keys(argyle.stats.snapshot().gigFetches).sort()).toEqual([...ids].sort());
  });

  it("keeps the newer object when an older one arrives later", async () => {
    const [id] = gigIdsOf(account, 1) as [string];
    await runBatch([job("fetch_gigs", { account, user, ids: [id] })]);
    const before = await storedGig(id);
    // Argyle changes the gig; a fetch that started before the change lands after it.
    argyle.store.updateGigs(account, [id]);
    await runBatch([
      job("fetch_gigs", { account, user, ids: [id], received_at: new Date(Date.now() + 5).toISOString() }),
    ]);
    const newer = await storedGig(id);
    expect(newer?.updated_ms).toBeGreaterThan(Number(before?.updated_ms));
    const { upsertGigStatements } = await import("../../../src/domain/storage/gigs.ts");
    const old = JSON.parse(String(before?.data));
    const shard = await homeDb(account);
    await shard.batch(
      upsertGigStatements(shard, [{ gig: old, json: String(before?.data), syncedMs: Date.now() + 60_000 }], user),
    );
    expect((await storedGig(id))?.data).toBe(newer?.data);
  });

  it("in a batch, acks the jobs that succeeded and retries only the one that failed", async () => {
    const [a, b, c] = [gigIdsOf(account, 3), gigIdsOf(account).slice(10, 12), gigIdsOf(account).slice(20, 22)];
    const failing = b?.[0] as string;
    argyle.faults.update({ serverErrorRate: 1, onlyIds: [failing] });
    const result = await runBatch([
      job("fetch_gigs", { account, user, ids: a as string[] }),
      job("fetch_gigs", { account, user, ids: b as string[] }),
      job("fetch_gigs", { account, user, ids: c as string[] }),
    ]);
    expect(result.explicitAcks.sort()).toEqual(["msg-0", "msg-2"]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["msg-1"]);
    // The retried job's other gig was stored and will not be fetched again.
    expect(await storedGig(b?.[1] as string)).not.toBeNull();
    const attempts = await env.DB.prepare("SELECT reason, attempts FROM job_attempts").all();
    expect(attempts.results).toEqual([{ reason: "transient", attempts: 1 }]);
  });

  it.each([
    ["seconds", "seconds"],
    ["an HTTP date", "http-date"],
  ] as const)("on 429 with Retry-After in %s, stops requesting and retries the message", async (_label, format) => {
    argyle.faults.update({ rateLimitRate: 1, retryAfterSeconds: 7, retryAfterFormat: format });
    const m = meter();
    const result = await runBatch([job("fetch_gigs", { account, user, ids: gigIdsOf(account, 10) })]);
    expect(result.retryMessages.map((r) => r.msgId)).toEqual(["msg-0"]);
    // It stopped after the first 429s instead of hammering: at most one request per connection.
    expect(m.fetches).toBeLessThanOrEqual(6);
    const row = await env.DB.prepare("SELECT reason FROM job_attempts").first();
    expect(row).toEqual({ reason: "rate_limited" });
  });

  it("retries a 5xx and a timeout, then stores everything on the next delivery", async () => {
    const ids = gigIdsOf(account, 6);
    const flaky = ids[0] as string;
    const body = job("fetch_gigs", { account, user, ids });
    argyle.faults.update({ serverErrorRate: 1, onlyIds: [flaky] });
    const first = await runBatch([body]);
    expect(first.retryMessages).toHaveLength(1);
    expect((await env.DB.prepare("SELECT last_error FROM job_attempts").first())?.last_error).toMatch(/HTTP 5\d\d/);

    argyle.faults.replace({ timeoutRate: 1, hangMs: 5_000, onlyIds: [flaky] });
    const second = await runBatch([body], { attempts: 2, env: { ARGYLE_TIMEOUT_MS: "200" } });
    expect(second.retryMessages).toHaveLength(1);
    expect((await env.DB.prepare("SELECT last_error FROM job_attempts").first())?.last_error).toMatch(/timed out/);

    argyle.faults.reset();
    argyle.stats.reset();
    const third = await runBatch([body], { attempts: 3 });
    expect(third.explicitAcks).toEqual(["msg-0"]);
    for (const id of ids) expect((await storedGig(id))?.removed_at).toBeNull();
    // The redeliveries only asked for the gig that had failed: the others were fresh.
    expect(argyle.stats.snapshot().gigFetches).toEqual({ [flaky]: 1 });
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM job_attempts").first()).toEqual({ n: 0 });
  });

  it("treats 401 as a loud configuration error, retried slowly", async () => {
    argyle.faults.update({ authFailing: true });
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => void errors.push(line));
    const m = meter();
    const result = await runBatch([job("fetch_gigs", { account, user, ids: gigIdsOf(account, 20) })]);
    expect(result.retryMessages.map((r) => r.msgId)).toEqual(["msg-0"]);
    expect(m.fetches).toBeLessThanOrEqual(6);
    expect(errors.some((l) => l.includes("argyle refused our credentials"))).toBe(true);
    expect(await env.DB.prepare("SELECT reason FROM job_attempts").first()).toEqual({ reason: "auth" });
  });

  it("without API keys, makes no request and retries as an auth problem", async () => {
    const m = meter();
    const result = await runBatch([job("fetch_gigs", { account, user, ids: gigIdsOf(account, 2) })], {
      env: { ARGYLE_API_KEY_ID: undefined },
    });
    expect(result.retryMessages).toHaveLength(1);
    expect(m.fetches).toBe(0);
    // Recorded as an auth attempt, which the auth_refused alert reads.
    expect(await env.DB.prepare("SELECT reason FROM job_attempts").first()).toEqual({ reason: "auth" });
  });

  it("dead-letters only the gigs that fail permanently and acks the rest", async () => {
    const ids = gigIdsOf(account, 3);
    // A gig object Argyle serves without an id can never be stored: a permanent failure.
    const broken = ids[0] as string;
    const served = argyle.store.gig(broken) as unknown as Record<string, unknown>;
    served.account = "not-an-id";
    const m = meter();
    const result = await runBatch([job("fetch_gigs", { account, user, ids })]);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(m.deadLetters).toEqual([expect.objectContaining({ kind: "fetch_gigs", ids: [broken] })]);
  });
});

describe("account state", () => {
  it("only webhook-born jobs update Argyle's count and the last webhook time", async () => {
    const ids = gigIdsOf(account, 1);
    const webhookAt = new Date(Date.now() - 60_000).toISOString();
    await runBatch([job("fetch_gigs", { account, user, ids, available_count: 30, received_at: webhookAt })]);
    // A later redrive of older work carries a stale count: it must not roll the state back.
    await runBatch([job("fetch_gigs", { account, user, ids, available_count: 5, origin: "redrive" })]);
    const state = await firstAcross("SELECT available_count, last_webhook_at FROM accounts WHERE id = ?", account);
    expect(state).toEqual({ available_count: 30, last_webhook_at: webhookAt });
  });
});

describe("remove_gigs", () => {
  it("tombstones without fetching", async () => {
    const ids = gigIdsOf(account, 2);
    await runBatch([
      job("fetch_gigs", { account, user, ids, received_at: new Date(Date.now() - 10_000).toISOString() }),
    ]);
    argyle.stats.reset();
    const result = await runBatch([job("remove_gigs", { account, user, ids })]);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(argyle.stats.snapshot().gigFetchAttempts).toEqual({});
    for (const id of ids) expect((await storedGig(id))?.removed_at).toEqual(expect.any(String));
  });
});

describe("list_window and backfill", () => {
  it("list_window pages through the account's gigs in the window", async () => {
    const big = argyle.store.accounts()[1];
    if (!big) throw new Error("no second account");
    const gigs = argyle.store.gigsOf(big.id);
    // Listed newest first, as Argyle does: the later index is the earlier start.
    const from = String(gigs[399]?.start_datetime);
    const to = String(gigs[100]?.start_datetime);
    const expected = gigs.filter((g) => String(g.start_datetime) >= from && String(g.start_datetime) <= to);
    const m = meter();
    const pageSize = { env: { ARGYLE_PAGE_SIZE: "50" } };
    const result = await runBatch([job("list_window", { account: big.id, user: big.user, from, to })], pageSize);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    // On the Free plan's settings an invocation walks one page (its CPU bound); the rest
    // continues as new messages, one page each, until the window is walked.
    let messages = 1;
    while (m.sent.length > 0) {
      const next = m.sent.splice(0);
      expect(next).toHaveLength(1);
      await runBatch(next, pageSize);
      messages++;
    }
    expect(await liveGigCount(big.id)).toBe(expected.length);
    expect(argyle.stats.snapshot().listPages).toBe(Math.ceil(expected.length / 50));
    expect(messages).toBe(Math.ceil(expected.length / 50));
  });

  it("a window that lists fewer gigs than Argyle said were added is followed by a backfill", async () => {
    const gigs = argyle.store.gigsOf(account);
    const from = String(gigs[1]?.start_datetime);
    const to = String(gigs[0]?.start_datetime);
    const m = meter();
    const ok = await runBatch([job("list_window", { account, user, from, to, expected: 2 })]);
    expect(ok.explicitAcks).toEqual(["msg-0"]);
    expect(m.sent).toEqual([]);
    await runBatch([job("list_window", { account, user, from, to, expected: 25 })]);
    expect(m.sent).toEqual([expect.objectContaining({ kind: "backfill", account, pass: null, cursor: null })]);
  });

  it("backfill stores every gig, marks the pass done, and tombstones gigs Argyle no longer has", async () => {
    const big = argyle.store.accounts()[1];
    if (!big) throw new Error("no second account");
    // A gig the mirror holds but Argyle removed without a webhook reaching us.
    const ghost = argyle.store.gigsOf(big.id)[5]?.id as string;
    await runBatch([job("fetch_gigs", { account: big.id, user: big.user, ids: [ghost] })]);
    argyle.store.removeGigs(big.id, [ghost]);

    const result = await runBatch([job("backfill", { account: big.id, user: big.user })], {
      env: { MAX_SUBREQUESTS: "1000" },
    });
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(await liveGigCount(big.id)).toBe(449);
    expect((await storedGig(ghost))?.removed_at).toEqual(expect.any(String));
    const state = await firstAcross("SELECT * FROM accounts WHERE id = ?", big.id);
    expect(state).toMatchObject({
      backfill_status: "done",
      backfill_pages: 3,
      backfill_gigs: 449,
      backfill_cursor: null,
    });
  });

  it("a gig served invalid in a listing is recorded; the rest of the account is stored, nothing reconciled away", async () => {
    const big = argyle.store.accounts()[1];
    if (!big) throw new Error("no second account");
    const gigs = argyle.store.gigsOf(big.id);
    const broken = gigs[250]?.id as string;
    // The mirror already holds it from an earlier fetch.
    await runBatch([job("fetch_gigs", { account: big.id, user: big.user, ids: [broken] })]);
    (argyle.store.gig(broken) as unknown as Record<string, unknown>).account = null;
    vi.spyOn(console, "error").mockImplementation(() => {});
    const m = meter();
    const result = await runBatch([job("backfill", { account: big.id, user: big.user })], {
      env: { MAX_SUBREQUESTS: "1000" },
    });
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(m.deadLetters).toEqual([]);
    // 449 stored by the pass, and the broken one kept (not tombstoned as "not seen").
    expect(await liveGigCount(big.id)).toBe(450);
    const failure = await env.DB.prepare("SELECT * FROM failures").first<Record<string, unknown>>();
    expect(failure).toMatchObject({ kind: "fetch_gigs", reason: "permanent", account: big.id, gig_ids: 1 });
    expect(JSON.parse(String(failure?.job)).ids).toEqual([broken]);
    const state = await firstAcross("SELECT backfill_status, backfill_skipped FROM accounts WHERE id = ?", big.id);
    expect(state).toEqual({ backfill_status: "done", backfill_skipped: 1 });
  });

  it("a backfill that fails for good fails its pass, so the next sync starts afresh", async () => {
    const fetchMock = vi.mocked(globalThis.fetch);
    const passThrough = fetchMock.getMockImplementation();
    fetchMock.mockImplementation(async (input, init) => {
      if (/\/v2\/gigs\?/.test(new Request(input, init).url)) return new Response("{}", { status: 400 });
      return passThrough ? passThrough(input, init) : new Response(null, { status: 500 });
    });
    vi.spyOn(console, "error").mockImplementation(() => {});
    const m = meter();
    const started = job("backfill", { account, user });
    const result = await runBatch([started]);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(m.deadLetters).toEqual([expect.objectContaining({ kind: "backfill", pass: started.job_id })]);
    await runBatch(m.deadLetters, { queue: "argyle-gig-jobs-dlq" });
    const state = await firstAcross("SELECT backfill_status FROM accounts WHERE id = ?", account);
    expect(state).toEqual({ backfill_status: "failed" });
  });

  it("a second sync webhook while a newer pass covers it does nothing", async () => {
    const receivedAt = new Date(Date.now() - 60_000).toISOString();
    await runBatch([job("backfill", { account, user })]);
    argyle.stats.reset();
    const covered = await runBatch([job("backfill", { account, user, received_at: receivedAt })]);
    expect(covered.explicitAcks).toEqual(["msg-0"]);
    expect(argyle.stats.snapshot().listPages).toBe(0);
  });
});
