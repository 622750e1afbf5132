import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetRateLimit } from "../../../src/receiver/console/rate-limit.ts";
import { alertId, clearAlerts, insertAlert } from "../alert-helpers.ts";
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
  await clearAlerts();
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
    expect(page).toContain('href="/console/alerts?status=open">0<');
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
  const OTHER_ACCOUNT = "0187c66e-0000-811c-b006-000000000099";
  beforeEach(async () => {
    await insertAlert(1, {
      rule: "backfill_stalled",
      scope: ACCOUNT,
      summary: "The backfill of this account has made no progress for 42 min",
      next_step: `POST /api/accounts/${ACCOUNT}/backfill`,
      affected: 7,
    });
    await insertAlert(2, {
      rule: "auth_refused",
      status: "resolved",
      summary: "Argyle refused our API key (401)",
      resolved_at: "2026-11-29T13:00:00.000Z",
    });
    await insertAlert(3, {
      rule: "backfill_stalled",
      scope: OTHER_ACCOUNT,
      status: "acknowledged",
      acknowledged_at: "2026-11-29T12:30:00.000Z",
    });
  });

  it("lists open and recent alerts with rule, scope, status, summary, next step and times; the Overview counts them", async () => {
    const page = await html("/console/alerts");
    expect(page).toContain("The backfill of this account has made no progress for 42 min");
    expect(page).toContain(`<code>POST /api/accounts/${ACCOUNT}/backfill</code>`);
    expect(page).toContain(`href="/console/accounts/${ACCOUNT}"`);
    expect(page).toMatch(/<td class="num">7<\/td>/);
    expect(page).toContain('datetime="2026-11-29T12:02:00.000Z"');
    expect(page).toContain('datetime="2026-11-29T13:00:00.000Z"');
    expect(page).toContain("Argyle refused our API key (401)");
    expect(page).toContain("whole mirror");
    // Only the open alert offers Acknowledge.
    expect(page.match(/action="\/console\/alerts\/[^"]+\/ack"/g)).toEqual([
      `action="/console/alerts/${alertId(1)}/ack"`,
    ]);
    expect(page).toMatch(/<strong>1<\/strong> open, <strong>1<\/strong> acknowledged/);
    const overview = await html("/console");
    expect(overview).toContain('href="/console/alerts?status=open">1<');
    expect(overview).toContain('href="/console/alerts?status=acknowledged">1 acknowledged<');
  });

  it("acknowledges an open alert, audits it, and comes back to the list as filtered with a notice", async () => {
    const res = await client.post(`/console/alerts/${alertId(1)}/ack`, {
      _csrf: csrf,
      rule: "backfill_stalled",
      status: "open",
    });
    expect(res.status).toBe(303);
    const location = res.headers.get("location") ?? "";
    expect(location).toBe(`/console/alerts?status=open&rule=backfill_stalled&acknowledged=${alertId(1)}`);
    const row = await env.DB.prepare("SELECT status, acknowledged_at FROM alerts WHERE id = ?1")
      .bind(alertId(1))
      .first<{ status: string; acknowledged_at: string | null }>();
    expect(row?.status).toBe("acknowledged");
    expect(row?.acknowledged_at).not.toBeNull();
    const audit = await env.DB.prepare("SELECT action, token_role, target FROM audit_log").all();
    expect(audit.results).toEqual([{ action: "acknowledge", token_role: "console", target: alertId(1) }]);
    const after = await html(location);
    expect(after).toContain(`Alert ${alertId(1)} acknowledged`);
    expect(after).toContain("No alerts match.");
    // A resolved alert cannot be acknowledged: the list says so, and the row is unchanged.
    const again = await client.post(`/console/alerts/${alertId(2)}/ack`, { _csrf: csrf });
    expect(again.headers.get("location")).toBe("/console/alerts?not_open=1");
    expect(await html("/console/alerts?not_open=1")).toContain("That alert is no longer open");
    expect(await env.DB.prepare("SELECT status FROM alerts WHERE id = ?1").bind(alertId(2)).first()).toEqual({
      status: "resolved",
    });
    expect((await client.post(`/console/alerts/${alertId(99)}/ack`, { _csrf: csrf })).status).toBe(404);
  });

  it("filters by status and rule, refuses an unknown rule, and pages by keyset", async () => {
    const resolved = await html("/console/alerts?status=resolved");
    expect(resolved).toContain("Argyle refused our API key (401)");
    expect(resolved).not.toContain("no progress for 42 min");
    expect(resolved).toMatch(/<option value="resolved" selected="">/);
    const stalled = await html("/console/alerts?rule=backfill_stalled");
    expect(stalled).toContain(`href="/console/accounts/${ACCOUNT}"`);
    expect(stalled).toContain(`href="/console/accounts/${OTHER_ACCOUNT}"`);
    expect(stalled).not.toContain("Argyle refused our API key");
    const both = await html("/console/alerts?status=acknowledged&rule=backfill_stalled");
    expect(both).toContain(OTHER_ACCOUNT);
    expect(both).not.toContain(`href="/console/accounts/${ACCOUNT}"`);
    const bad = await client.get("/console/alerts?rule=everything");
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/class="notice error" role="alert">rule: /);

    const scopes = Array.from({ length: 55 }, (_, i) => `0187c66e-0000-811c-b006-1${i.toString().padStart(11, "0")}`);
    for (const [i, scope] of scopes.entries()) await insertAlert(100 + i, { rule: "reconciliation_drift", scope });
    const first = await html("/console/alerts?rule=reconciliation_drift");
    expect(first).toContain(scopes[54]);
    expect(first).toContain(scopes[5]);
    expect(first).not.toContain(scopes[4]);
    const next = /href="(\/console\/alerts\?cursor=[^"]+)"/.exec(first)?.[1];
    expect(next).toBeDefined();
    const second = await html(next ?? "");
    expect(second).toContain(scopes[4]);
    expect(second).toContain(scopes[0]);
    expect(second).not.toContain(scopes[5]);
    expect(second).not.toContain(ACCOUNT);
    expect(second).toMatch(/<option value="reconciliation_drift" selected="">/);
  });
});

describe("accessibility basics", () => {
  it("labels every form control and marks the current screen", async () => {
    await postWebhook(INVALID);
    await insertAlert(1);
    for (const path of ["/console", "/console/accounts", "/console/events", "/console/failures", "/console/alerts"]) {
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
