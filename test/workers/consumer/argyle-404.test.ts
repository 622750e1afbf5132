/**
 * Issue 10, defect 2: only Argyle's own not-found answer means a gig is gone. Any other 404 (a
 * proxy's HTML page, an empty body, someone else's JSON) is an outage: it retries, shows in the
 * account's last_error, and dead-letters into failures; and a base URL that cannot be Argyle's
 * v2 API makes the consumer refuse to act at all.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { LocalArgyle } from "../../../src/local-argyle/app.ts";
import { clearTables } from "../helpers.ts";
import { countAcross, firstAcross } from "../shards.ts";
import { job, meter, runBatch, storedGig, useLocalArgyle } from "./helpers.ts";

let argyle: LocalArgyle;
let account: string;
let user: string;
let ids: string[];

beforeEach(async () => {
  await clearTables();
  argyle = useLocalArgyle({ seed: 11, accounts: [{ gigs: 20 }] });
  const first = argyle.store.accounts()[0];
  if (!first) throw new Error("dataset has no accounts");
  account = first.id;
  user = first.user;
  ids = argyle.store
    .gigsOf(account)
    .slice(0, 5)
    .map((g) => g.id as string);
  vi.spyOn(console, "warn").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
});

afterEach(() => vi.restoreAllMocks());

/** Makes every GET /v2/gigs/{id} answer `response` until `restore` is called. */
function answerGigFetchesWith(response: () => Response): { restore: () => void } {
  const fetchMock = vi.mocked(globalThis.fetch);
  const passThrough = fetchMock.getMockImplementation();
  let on = true;
  fetchMock.mockImplementation(async (input, init) => {
    if (on && /\/v2\/gigs\/[^/?]+$/.test(new Request(input, init).url)) return response();
    return passThrough ? passThrough(input, init) : new Response(null, { status: 500 });
  });
  return { restore: () => (on = false) };
}

async function tombstones(): Promise<number> {
  return countAcross("SELECT COUNT(*) AS n FROM gigs WHERE removed_at IS NOT NULL");
}

const foreign404s: [string, () => Response][] = [
  [
    "a proxy's HTML page",
    () =>
      new Response("<html><body><h1>Not Found</h1></body></html>", {
        status: 404,
        headers: { "content-type": "text/html" },
      }),
  ],
  ["an empty body", () => new Response(null, { status: 404 })],
  ["someone else's JSON", () => Response.json({ error: { code: "not_found", message: "no route" } }, { status: 404 })],
  [
    "Argyle's words as plain text",
    () => new Response('{"detail": "Not found."}', { status: 404, headers: { "content-type": "text/plain" } }),
  ],
];

describe("a 404 that is not Argyle's", () => {
  it.each(foreign404s)("(%s) tombstones nothing, retries, and shows in last_error", async (_label, answer) => {
    answerGigFetchesWith(answer);
    const delivery = job("fetch_gigs", { account, user, ids });
    const result = await runBatch([delivery]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["msg-0"]);
    expect(result.explicitAcks).toEqual([]);
    expect(await tombstones()).toBe(0);
    const state = await firstAcross("SELECT last_error FROM accounts WHERE id = ?", account);
    expect(state?.last_error).toMatch(/^transient: HTTP 404 without Argyle's not-found body/);
    const attempt = await env.DB.prepare("SELECT reason FROM job_attempts WHERE job_id = ?")
      .bind(delivery.job_id)
      .first();
    expect(attempt).toEqual({ reason: "transient" });
  });

  it("once the URL is fixed, the same delivery fetches every gig instead of skipping them as fresh", async () => {
    const proxy = answerGigFetchesWith(
      () => new Response("<h1>Not Found</h1>", { status: 404, headers: { "content-type": "text/html" } }),
    );
    const delivery = job("fetch_gigs", { account, user, ids, received_at: new Date(Date.now() - 1000).toISOString() });
    await runBatch([delivery]);
    proxy.restore();
    argyle.stats.reset();
    const redelivered = await runBatch([delivery], { attempts: 2 });
    expect(redelivered.explicitAcks).toEqual(["msg-0"]);
    expect(Object.keys(argyle.stats.snapshot().gigFetches).sort()).toEqual([...ids].sort());
    for (const id of ids) expect(await storedGig(id)).toMatchObject({ removed_at: null, data: expect.any(String) });
    const state = await firstAcross("SELECT last_error FROM accounts WHERE id = ?", account);
    expect(state).toEqual({ last_error: null });
  });

  it("the local Argyle's foreignNotFoundRate knob is retried the same way", async () => {
    argyle.faults.update({ foreignNotFoundRate: 1 });
    const result = await runBatch([job("fetch_gigs", { account, user, ids })]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["msg-0"]);
    expect(await tombstones()).toBe(0);
  });

  it("after its retries, dead-letters into failures with the 404 as last error", async () => {
    answerGigFetchesWith(
      () => new Response("<h1>Not Found</h1>", { status: 404, headers: { "content-type": "text/html" } }),
    );
    const delivery = job("fetch_gigs", { account, user, ids });
    await runBatch([delivery], { attempts: 20 });
    // The queue moves a message to the dead-letter queue after max_retries; its consumer records it.
    await runBatch([delivery], { queue: "argyle-gig-jobs-dlq" });
    const failure = await env.DB.prepare("SELECT reason, attempts, last_error, gig_ids FROM failures").first();
    expect(failure).toEqual({
      reason: "transient",
      attempts: 20,
      last_error: expect.stringMatching(/HTTP 404 without Argyle's not-found body \(text\/html\)/),
      gig_ids: ids.length,
    });
    expect(await tombstones()).toBe(0);
  });

  it("Argyle's own not-found answer still tombstones", async () => {
    const [gone, kept] = ids as [string, string];
    argyle.faults.update({ notFoundIds: [gone] });
    const result = await runBatch([job("fetch_gigs", { account, user, ids: [gone, kept] })]);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect((await storedGig(gone))?.removed_at).toEqual(expect.any(String));
    expect((await storedGig(kept))?.removed_at).toBeNull();
  });

  it("a listing answered with a foreign 404 retries instead of dead-lettering the walk", async () => {
    argyle.faults.update({ foreignNotFoundRate: 1 });
    const m = meter();
    const result = await runBatch([job("backfill", { account, user })]);
    expect(result.retryMessages.map((r) => r.msgId)).toEqual(["msg-0"]);
    expect(m.deadLetters).toEqual([]);
  });
});

describe("an ARGYLE_API_URL that cannot be Argyle's v2 API", () => {
  it.each([
    ["without /v2", "https://argyle.test"],
    ["with another version", "https://argyle.test/v1"],
    ["with /v2 in the middle", "https://argyle.test/v2/gigs"],
    ["not http(s)", "ftp://argyle.test/v2"],
  ])("(%s) is refused: no request, no write, every job waits with a logged error", async (_label, url) => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const m = meter();
    const result = await runBatch([job("fetch_gigs", { account, user, ids }), job("backfill", { account, user })], {
      env: { ARGYLE_API_URL: url },
    });
    expect(result.retryMessages.map((r) => r.msgId)).toEqual(["msg-0", "msg-1"]);
    expect(result.explicitAcks).toEqual([]);
    expect(m.fetches).toBe(0);
    expect(m.d1).toBe(0);
    expect(await tombstones()).toBe(0);
    const logged = errors.mock.calls.map((c) => String(c[0])).join("\n");
    expect(logged).toMatch(/consumer config refused/);
    expect(logged).toMatch(/ARGYLE_API_URL/);
    // Slowly: the queue's 20 attempts then span hours, time enough to deploy the fix.
    expect(logged).toMatch(/"delay_seconds":600/);
  });

  it.each(["https://argyle.test/v2", "https://argyle.test/v2/"])("%s is accepted", async (url) => {
    const result = await runBatch([job("fetch_gigs", { account, user, ids })], { env: { ARGYLE_API_URL: url } });
    expect(result.explicitAcks).toEqual(["msg-0"]);
  });
});
