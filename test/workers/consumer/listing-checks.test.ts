/**
 * Issue 10's listing design changes: a backfill never trusts one listing pass (each gig it did not
 * see is confirmed by ID before it is tombstoned), a listed item without a valid ID is skipped and
 * recorded instead of failing the walk, and a `gigs.added` window notices a miss even when old
 * gigs fill the window.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Job } from "../../../src/domain/jobs.ts";
import { WINDOW_MARGIN_MS } from "../../../src/domain/jobs.ts";
import type { LocalArgyle } from "../../../src/local-argyle/app.ts";
import { clearTables } from "../helpers.ts";
import { firstAcross } from "../shards.ts";
import { job, liveGigCount, type Meter, meter, runBatch, storedGig, useLocalArgyle } from "./helpers.ts";

let argyle: LocalArgyle;
let account: string;
let user: string;

beforeEach(async () => {
  await clearTables();
  argyle = useLocalArgyle({ seed: 5, accounts: [{ gigs: 30 }] });
  const first = argyle.store.accounts()[0];
  if (!first) throw new Error("dataset has no accounts");
  account = first.id;
  user = first.user;
  vi.spyOn(console, "warn").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
});

afterEach(() => vi.restoreAllMocks());

function gigIds(): string[] {
  return argyle.store.gigsOf(account).map((g) => g.id as string);
}

/** Rewrites every list page's `results` on its way from the local Argyle to the consumer. */
function rewriteListPages(rewrite: (results: unknown[]) => unknown[]): void {
  const fetchMock = vi.mocked(globalThis.fetch);
  const passThrough = fetchMock.getMockImplementation();
  fetchMock.mockImplementation(async (input, init) => {
    const response = await (passThrough as typeof fetch)(input, init);
    if (!/\/v2\/gigs(\?|$)/.test(new Request(input, init).url) || response.status !== 200) return response;
    const page = (await response.json()) as { results: unknown[] };
    return Response.json({ ...page, results: rewrite(page.results) });
  });
}

/** Runs `first`, then every continuation it queues, until no work is left. Returns the messages run. */
async function drain(first: Job, m: Meter, runEnv: Partial<Cloudflare.Env> = {}): Promise<number> {
  let pending: unknown[] = [first];
  let runs = 0;
  while (pending.length > 0 && runs < 50) {
    m.sent.length = 0;
    const result = await runBatch(pending, { env: runEnv });
    expect(result.retryMessages).toEqual([]);
    runs += pending.length;
    pending = [...m.sent];
  }
  return runs;
}

async function tombstoned(id: string): Promise<boolean> {
  return (await storedGig(id))?.removed_at != null;
}

describe("backfill reconciliation confirms each unseen gig by ID", () => {
  it("a stored gig one listing pass missed but Argyle still serves stays alive", async () => {
    const ids = gigIds();
    await runBatch([job("fetch_gigs", { account, user, ids })]);
    const missed = ids[7] as string;
    rewriteListPages((results) => results.filter((g) => (g as { id: string }).id !== missed));
    const m = meter();
    await drain(job("backfill", { account, user }), m);
    expect(await tombstoned(missed)).toBe(false);
    expect(await liveGigCount(account)).toBe(30);
    // It was asked about by ID, and its state is now as fresh as the pass.
    expect(argyle.stats.snapshot().gigFetches[missed]).toBe(2);
  });

  it("only Argyle's not-found tombstones: a foreign 404 during confirmation retries, and nothing is lost", async () => {
    const ids = gigIds();
    await runBatch([job("fetch_gigs", { account, user, ids })]);
    const gone = ids.slice(0, 3);
    argyle.store.removeGigs(account, gone);
    const fetchMock = vi.mocked(globalThis.fetch);
    const passThrough = fetchMock.getMockImplementation() as typeof fetch;
    let proxyDown = true;
    fetchMock.mockImplementation(async (input, init) => {
      if (proxyDown && /\/v2\/gigs\/[^/?]+$/.test(new Request(input, init).url)) {
        return new Response("<h1>Not Found</h1>", { status: 404, headers: { "content-type": "text/html" } });
      }
      return passThrough(input, init);
    });
    const pass = job("backfill", { account, user });
    // Room for the confirmation in the pass's own message (on the Free plan's sizing it would
    // be a message of its own, as the budget test below shows).
    const roomy = { env: { MAX_PAGES_PER_INVOCATION: "10" } };
    const first = await runBatch([pass], roomy);
    expect(first.retryMessages.map((r) => r.msgId)).toEqual(["msg-0"]);
    for (const id of gone) expect(await tombstoned(id)).toBe(false);

    proxyDown = false;
    const again = await runBatch([pass], { ...roomy, attempts: 2 });
    expect(again.explicitAcks).toEqual(["msg-0"]);
    for (const id of gone) expect(await tombstoned(id)).toBe(true);
    expect(await liveGigCount(account)).toBe(27);
  });

  it("more unseen gigs than one invocation's budget: confirmed across new messages, each asked once", async () => {
    const ids = gigIds();
    await runBatch([job("fetch_gigs", { account, user, ids })]);
    const gone = ids.slice(0, 25);
    argyle.store.removeGigs(account, gone);
    argyle.stats.reset();
    const m = meter();
    const runs = await drain(job("backfill", { account, user }), m, { MAX_SUBREQUESTS: "20" });
    expect(runs).toBeGreaterThan(1);
    for (const id of gone) expect(await tombstoned(id)).toBe(true);
    expect(await liveGigCount(account)).toBe(5);
    const attempts = argyle.stats.snapshot().gigFetchAttempts;
    expect(Object.keys(attempts).sort()).toEqual([...gone].sort());
    expect(Object.values(attempts).every((n) => n === 1)).toBe(true);
  });
});

describe("confirming by ID under GIG_RETENTION_DAYS", () => {
  it("stores nothing older than the retention floor, as the listing and fetches do", async () => {
    const ids = gigIds();
    await runBatch([job("fetch_gigs", { account, user, ids })]);
    const starts = argyle.store
      .gigsOf(account)
      .map((g) => ({ id: g.id as string, ms: Date.parse(String(g.start_datetime)) }));
    const oldest = starts.reduce((a, b) => (b.ms < a.ms ? b : a));
    const days = Math.floor((Date.now() - oldest.ms) / 86_400_000);
    expect(days).toBeGreaterThan(0);
    // Argyle changes the old gig; the listing leaves it out (too old), so it is confirmed by ID.
    argyle.store.updateGigs(account, [oldest.id]);
    const before = (await storedGig(oldest.id))?.data;
    const m = meter();
    await drain(job("backfill", { account, user }), m, { GIG_RETENTION_DAYS: String(days), MAX_SUBREQUESTS: "1000" });
    expect((await storedGig(oldest.id))?.data).toBe(before);
  });
});

describe("a permanent failure while confirming", () => {
  it("in an earlier batch: the later batches still confirm, but the pass is not stamped reconciled", async () => {
    const ids = gigIds();
    await runBatch([job("fetch_gigs", { account, user, ids })]);
    const gone = ids.slice(0, 25);
    argyle.store.removeGigs(account, gone);
    // The first gig confirmed (id order) fails for good.
    const broken = [...gone].sort()[0] as string;
    const fetchMock = vi.mocked(globalThis.fetch);
    const passThrough = fetchMock.getMockImplementation() as typeof fetch;
    fetchMock.mockImplementation(async (input, init) => {
      if (new Request(input, init).url.endsWith(`/v2/gigs/${broken}`)) return new Response("{}", { status: 400 });
      return passThrough(input, init);
    });
    const m = meter();
    const runs = await drain(job("backfill", { account, user }), m, { MAX_SUBREQUESTS: "20" });
    expect(runs).toBeGreaterThan(2);
    expect(m.deadLetters.length).toBeGreaterThan(0);
    for (const id of gone) expect(await tombstoned(id)).toBe(id !== broken);
    const state = await firstAcross(
      "SELECT backfill_skipped, last_reconciled_ms, backfill_finished_ms FROM accounts WHERE id = ?",
      account,
    );
    expect(state).toEqual({ backfill_skipped: 1, last_reconciled_ms: null, backfill_finished_ms: expect.any(Number) });
  });
});

describe("a listed item without a valid ID", () => {
  it("is skipped and recorded; the page and the pass go on, and nothing is reconciled away", async () => {
    const ids = gigIds();
    const ghost = ids[3] as string;
    await runBatch([job("fetch_gigs", { account, user, ids: [ghost] })]);
    argyle.store.removeGigs(account, [ghost]);
    rewriteListPages((results) => [...results, { id: "not-an-id", employer: "x" }, { start_datetime: null }]);
    const m = meter();
    const result = await runBatch([job("backfill", { account, user })], { env: { MAX_PAGES_PER_INVOCATION: "10" } });
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(m.deadLetters).toEqual([]);
    expect(m.sent).toEqual([]);
    expect(await liveGigCount(account)).toBe(30);
    const state = await firstAcross("SELECT backfill_status, backfill_skipped FROM accounts WHERE id = ?", account);
    expect(state).toEqual({ backfill_status: "done", backfill_skipped: 2 });
    // The pass was not a complete listing: the gig it did not see is not even asked about.
    expect(await tombstoned(ghost)).toBe(false);
    const failure = await env.DB.prepare("SELECT kind, reason, gig_ids, last_error, job FROM failures").first<
      Record<string, unknown>
    >();
    expect(failure).toMatchObject({
      kind: "backfill",
      reason: "permanent",
      gig_ids: 0,
      last_error: "Argyle listed 2 item(s) without a valid gig id: skipped",
    });
    expect(JSON.parse(String(failure?.job))).toMatchObject({ kind: "backfill", pass: null, cursor: null });
  });
});

describe("gigs.added windows", () => {
  it("old gigs in the window do not mask a missing new one: the window falls back to a backfill", async () => {
    // The mirror already holds the gigs of an earlier refresh, which start in the same window.
    const earlier = argyle.store.addGigs(account, 4);
    await runBatch([job("fetch_gigs", { account, user, ids: earlier.gigIds })]);
    // Argyle adds two gigs and says so, but its listing shows only one of them (the other lags).
    const added = argyle.store.addGigs(account, 2);
    const lagging = added.gigIds[1] as string;
    rewriteListPages((results) => results.filter((g) => (g as { id: string }).id !== lagging));
    const data = added.event === "gigs.added" ? (added.data as { added_from: string; added_to: string }) : null;
    if (!data) throw new Error("not a gigs.added mutation");
    const m = meter();
    const window = job("list_window", {
      account,
      user,
      from: new Date(Date.parse(data.added_from) - WINDOW_MARGIN_MS).toISOString(),
      to: new Date(Date.parse(data.added_to) + WINDOW_MARGIN_MS).toISOString(),
      expected: 2,
    });
    const result = await runBatch([window]);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(m.sent).toEqual([expect.objectContaining({ kind: "backfill", account, pass: null, cursor: null })]);
  });

  it("a window that yields every added gig needs no backfill, whatever else it holds", async () => {
    const earlier = argyle.store.addGigs(account, 4);
    await runBatch([job("fetch_gigs", { account, user, ids: earlier.gigIds })]);
    const added = argyle.store.addGigs(account, 2);
    const data = added.data as { added_from: string; added_to: string };
    const m = meter();
    await runBatch([
      job("list_window", {
        account,
        user,
        from: new Date(Date.parse(data.added_from) - WINDOW_MARGIN_MS).toISOString(),
        to: new Date(Date.parse(data.added_to) + WINDOW_MARGIN_MS).toISOString(),
        expected: 2,
      }),
    ]);
    expect(m.sent).toEqual([]);
    for (const id of added.gigIds) expect(await storedGig(id)).toMatchObject({ removed_at: null });
  });
});
