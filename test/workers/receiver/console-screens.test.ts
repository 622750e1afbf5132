import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetRateLimit } from "../../../src/receiver/console/rate-limit.ts";
import { ACCOUNT, fetchJob, insertAccount, insertFailure, insertGigs, makeGig } from "../api-helpers.ts";
import { ConsoleClient } from "../console-helpers.ts";
import { clearTables, countRows, gigsUpdatedBody, postWebhook } from "../helpers.ts";

const GIG = "0187dbfa-6f5e-a33a-af26-7e12ff408fea";
const OTHER_GIG = "0187dbfa-0000-a33a-af26-000000000002";
const failureId = (n: number) => `0190c0de-0000-7000-8000-${n.toString().padStart(12, "0")}`;
const INVALID = JSON.stringify({
  event: "gigs.updated",
  name: "s",
  data: { account: ACCOUNT, user: "x", updated_gigs: "nope" },
});

let client: ConsoleClient;
let csrf: string;

async function html(path: string): Promise<string> {
  const res = await client.get(path);
  expect(res.status, path).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/text\/html/);
  return res.text();
}

async function postWebhookId(body: string): Promise<string> {
  return (await (await postWebhook(body)).json<{ id: string }>()).id;
}

beforeEach(async () => {
  resetRateLimit();
  await clearTables();
  await insertAccount({
    id: ACCOUNT,
    available_count: 3,
    backfill_status: "failed",
    last_error: "Argyle answered 503",
    last_error_at: new Date().toISOString(),
  });
  await insertGigs([makeGig(GIG, "2023-03-08T08:08:57Z"), makeGig(OTHER_GIG, "2023-03-09T08:00:00Z")]);
  client = new ConsoleClient();
  await client.login();
  csrf = await client.csrf();
});
afterEach(() => vi.restoreAllMocks());

describe("Overview", () => {
  it("shows the last 24 hours by status as an SVG chart, the backlog, failures and accounts needing attention", async () => {
    await postWebhook(gigsUpdatedBody([GIG]));
    await postWebhook(INVALID);
    await insertFailure({ id: failureId(1) });
    const page = await html("/console");
    expect(page).toMatch(
      /<svg class="chart"[^>]*role="img"[^>]*aria-label="Webhooks per hour over the last 24 hours: 2 in all/,
    );
    expect(page).toMatch(/<rect class="accepted"/);
    expect(page).toMatch(/<rect class="invalid"/);
    expect(page).toContain('href="/console/failures?status=open">1<');
    // The account: backfill failed, an error, an open failure, 2 of Argyle's 3 stored.
    expect(page).toContain(`href="/console/accounts/${ACCOUNT}"`);
    expect(page).toContain("Argyle answered 503");
    expect(page).toContain("2 / 3");
  });
});

describe("Accounts", () => {
  it("lists accounts with stored against Argyle's count, filters by backfill state and pages by keyset", async () => {
    const ids = Array.from({ length: 55 }, (_, i) => `0187c66e-0000-811c-b006-${i.toString().padStart(12, "0")}`);
    for (const id of ids) await insertAccount({ id, backfill_status: "done", available_count: 1 });
    const first = await html("/console/accounts?status=done");
    expect(first).not.toContain(ACCOUNT);
    expect(first).toContain(ids[49]);
    expect(first).not.toContain(ids[50]);
    const next = /href="(\/console\/accounts\?status=done&amp;after=[^"]+)"/.exec(first)?.[1]?.replaceAll("&amp;", "&");
    expect(next).toBeDefined();
    const second = await html(next ?? "");
    expect(second).toContain(ids[54]);
    expect(second).not.toContain(ids[0]);
    const failed = await html("/console/accounts?status=failed");
    expect(failed).toContain(ACCOUNT);
    expect(failed).toMatch(/aria-label="2 of 3 stored"/);
  });

  it("shows an account's gigs with start, status and pay, its recent events, and links each gig's JSON", async () => {
    const eventId = await postWebhookId(gigsUpdatedBody([GIG]));
    const page = await html(`/console/accounts/${ACCOUNT}`);
    expect(page).toContain(`href="/console/gigs/${GIG}"`);
    expect(page).toContain("2023-03-08T08:08:57Z");
    expect(page).toContain("completed");
    expect(page).toContain("26.58 USD");
    expect(page).toContain(`href="/console/events/${eventId}"`);
    const json = await client.get(`/console/gigs/${GIG}`);
    expect(json.headers.get("content-type")).toMatch(/application\/json/);
    expect((await json.json<{ id: string }>()).id).toBe(GIG);
    expect((await client.get("/console/accounts/0187c66e-ffff-811c-b006-2232f00f426a")).status).toBe(404);
  });
});

describe("Events", () => {
  it("filters by status and event, finds the events that named a gig, and shows one with issues and a pretty body", async () => {
    const good = await postWebhookId(gigsUpdatedBody([GIG]));
    const other = await postWebhookId(gigsUpdatedBody([OTHER_GIG]));
    const bad = await postWebhookId(INVALID);
    const invalid = await html("/console/events?status=invalid");
    expect(invalid).toContain(bad);
    expect(invalid).not.toContain(good);
    expect(invalid).toContain("Replay all invalid events matching this filter");
    const byGig = await html(`/console/events?gig=${GIG.toUpperCase()}`);
    expect(byGig).toContain(good);
    expect(byGig).not.toContain(other);
    const detail = await html(`/console/events/${bad}`);
    expect(detail).toContain("data.updated_gigs");
    expect(detail).toContain("  &quot;event&quot;: &quot;gigs.updated&quot;,");
    expect((await client.get("/console/events?since=yesterday")).status).toBe(400);
  });

  it("replays one event through the same path as the API and shows the replay", async () => {
    const bad = await postWebhookId(INVALID);
    const res = await client.post(`/console/events/${bad}/replay`, { _csrf: csrf });
    expect(res.status).toBe(303);
    const replayId = res.headers.get("location")?.split("/").at(-1) ?? "";
    const row = await env.DB.prepare("SELECT replay_of, status FROM events WHERE id = ?1").bind(replayId).first();
    expect(row).toEqual({ replay_of: bad, status: "invalid" });
  });

  it("confirms how many invalid events a bulk replay takes, then replays them", async () => {
    for (let i = 0; i < 3; i++) await postWebhook(INVALID.replace('"s"', `"s${i}"`));
    await postWebhook(gigsUpdatedBody([GIG]));
    const confirm = await html(`/console/events/replay?account=${ACCOUNT}`);
    expect(confirm).toMatch(/<strong>3<\/strong> invalid events match/);
    expect(confirm).toContain("Replay 3 of 3");
    const done = await client.post("/console/events/replay", { _csrf: csrf, account: ACCOUNT });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("Done: 3. Nothing more matches.");
    expect(await countRows("events")).toBe(7);
  });
});

describe("Failures", () => {
  beforeEach(async () => {
    for (let n = 1; n <= 3; n++)
      await insertFailure({ id: failureId(n), job: fetchJob({ job_id: `${failureId(n)}:0` }) });
  });

  it("lists reason, last error and attempts, and redrives one", async () => {
    const send = vi.spyOn(env.JOBS, "sendBatch");
    const page = await html("/console/failures?status=open");
    expect(page).toContain("Argyle answered 503");
    expect(page).toContain("transient");
    expect(page).toMatch(/<td class="num">5<\/td>/);
    const res = await client.post(`/console/failures/${failureId(2)}/retry`, { _csrf: csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/console/failures?redriven=${failureId(2)}`);
    expect(send).toHaveBeenCalledTimes(1);
    const row = await env.DB.prepare("SELECT status FROM failures WHERE id = ?1").bind(failureId(2)).first();
    expect(row).toEqual({ status: "redriven" });
    expect(await html(res.headers.get("location") ?? "")).toContain(`Failure ${failureId(2)} redriven`);
  });

  it("confirms how many open failures a bulk redrive takes, then redrives them", async () => {
    const confirm = await html(`/console/failures/retry?account=${ACCOUNT}`);
    expect(confirm).toMatch(/<strong>3<\/strong> open failures of account/);
    const done = await client.post("/console/failures/retry", { _csrf: csrf, account: ACCOUNT });
    expect(await done.text()).toContain("Done: 3. Nothing more matches.");
    const open = await env.DB.prepare("SELECT COUNT(*) AS n FROM failures WHERE status = 'open'").first();
    expect(open).toEqual({ n: 0 });
  });
});

describe("Alerts", () => {
  it("says plainly that alerts are not in this build yet", async () => {
    expect(await html("/console/alerts")).toContain("Alerts are not available in this build yet");
  });
});

describe("accessibility basics", () => {
  it("labels every form control and marks the current screen", async () => {
    await postWebhook(INVALID);
    for (const path of ["/console", "/console/accounts", "/console/events", "/console/failures"]) {
      const page = await html(path);
      expect(page).toMatch(/<html lang="en">/);
      expect(page).toMatch(/aria-current="page"/);
      // Every visible input and select sits inside a <label>.
      const controls = page.match(/<(input|select)(?![^>]*type="hidden")[^>]*>/g) ?? [];
      for (const control of controls) {
        const at = page.indexOf(control);
        const before = page.slice(0, at);
        expect(before.lastIndexOf("<label")).toBeGreaterThan(before.lastIndexOf("</label>"));
      }
    }
  });
});
