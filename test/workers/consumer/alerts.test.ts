import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { newTimeOrderedId } from "../../../src/domain/ids.ts";
import {
  ACCOUNT,
  alertRows,
  alertSink,
  check,
  checks,
  clearAlertTables,
  eventAt,
  MIN,
  openFailure,
  retryingJob,
  runningBackfill,
  type Sink,
  transitions,
} from "./alert-helpers.ts";

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);
let sink: Sink;

beforeEach(async () => {
  await clearAlertTables();
  sink = alertSink();
  vi.spyOn(console, "log").mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

/**
 * Each rule: set its condition up, run the default three checks (opens on the third), then clear
 * it and run three more (resolves on the third). Exactly one notice each way.
 */
describe("each rule fires and resolves", () => {
  async function firesAndResolves(rule: string, setUp: () => Promise<void>, clear: () => Promise<void>, from = T0) {
    await setUp();
    let t = await checks(sink, from, 2);
    expect(transitions(sink)).toEqual([]);
    t = await checks(sink, t, 1);
    expect(transitions(sink)).toEqual([`${rule} opened`]);
    await clear();
    t = await checks(sink, t, 2);
    expect(transitions(sink)).toEqual([`${rule} opened`]);
    await checks(sink, t, 1);
    expect(transitions(sink)).toEqual([`${rule} opened`, `${rule} resolved`]);
  }

  it("auth_refused: a job Argyle refused (401/403) is waiting to retry", async () => {
    await firesAndResolves(
      "auth_refused",
      () => retryingJob("evt-a:0", "auth", T0 - MIN, T0 - MIN),
      // The key was fixed: the job's next attempt succeeded and cleared its attempt log.
      async () => void (await env.DB.prepare("DELETE FROM job_attempts").run()),
    );
    const text = String(sink.received[0]?.json.text);
    expect(text).toContain("Argyle refuses the consumer's API key");
    expect(text).toContain("wrangler secret put ARGYLE_API_KEY_SECRET");
    expect(text).toContain("Affected: 1");
  });

  it("auth_refused: an attempt log older than two auth retry delays (a vanished message) does not count", async () => {
    await retryingJob("evt-a:0", "auth", T0 - 60 * MIN, T0 - 21 * MIN);
    await checks(sink, T0, 5);
    // (It is still unfinished work: the backlog rule counts it until RETRY_MAX_SECONDS says it is gone.)
    expect(transitions(sink).filter((t) => t.startsWith("auth_refused"))).toEqual([]);
  });

  it("open_failures: jobs that failed for good", async () => {
    const ids: string[] = [];
    await firesAndResolves(
      "open_failures",
      async () => void ids.push(await openFailure(T0 - 5 * MIN), await openFailure(T0 - 4 * MIN)),
      async () => void (await env.DB.prepare("UPDATE failures SET status = 'redriven'").run()),
    );
    const text = String(sink.received[0]?.json.text);
    expect(text).toContain("2 job(s) failed for good");
    expect(text).toContain("GET /api/failures?status=open");
    expect(text).toContain(`Since: ${new Date(T0 - 5 * MIN).toISOString()}`);
  });

  it("backlog_age: an accepted event not queued for longer than the threshold", async () => {
    await firesAndResolves(
      "backlog_age",
      async () => void (await eventAt(T0 - 45 * MIN, "accepted", false)),
      async () => void (await env.DB.prepare("UPDATE events SET enqueued_at = 'now'").run()),
    );
    expect(String(sink.received[0]?.json.text)).toContain("1 accepted event(s) not yet queued");
  });

  it("backlog_age: a job still retrying after the threshold", async () => {
    await firesAndResolves(
      "backlog_age",
      () => retryingJob("evt-b:0", "transient", T0 - 40 * MIN, T0 - MIN),
      async () => void (await env.DB.prepare("DELETE FROM job_attempts").run()),
    );
    expect(String(sink.received[0]?.json.text)).toContain("1 job(s) still retrying");
  });

  it("backlog_age: young work is no backlog", async () => {
    await eventAt(T0 - 10 * MIN, "accepted", false);
    await retryingJob("evt-b:0", "transient", T0 - 10 * MIN, T0 - MIN);
    await checks(sink, T0, 5);
    expect(transitions(sink)).toEqual([]);
  });

  it("backfill_stalled: no checkpoint for 30 minutes, per account", async () => {
    await firesAndResolves(
      "backfill_stalled",
      () => runningBackfill(T0 - 35 * MIN),
      () => runningBackfill(T0 + 10 * MIN),
    );
    const text = String(sink.received[0]?.json.text);
    expect(text).toContain(`(account ${ACCOUNT})`);
    expect(text).toContain(`GET /api/accounts/${ACCOUNT}`);
  });

  it("backfill_stalled: a pass waiting out a retry is not stalled", async () => {
    await runningBackfill(T0 - 35 * MIN, T0 + 60 * MIN);
    await checks(sink, T0, 5);
    expect(transitions(sink)).toEqual([]);
  });

  it("invalid_webhooks: a signed webhook failed validation in the last hour", async () => {
    const id = await eventAt(T0 - 10 * MIN, "invalid");
    // It ages out of the hour at T0 + 50 min: three clear checks later, resolved.
    await checks(sink, T0, 3);
    expect(transitions(sink)).toEqual(["invalid_webhooks opened"]);
    expect(String(sink.received[0]?.json.text)).toContain("GET /api/events?status=invalid&since=");
    await checks(sink, T0 + 51 * MIN, 3);
    expect(transitions(sink)).toEqual(["invalid_webhooks opened", "invalid_webhooks resolved"]);
    expect(id).toBeTruthy();
  });

  it("invalid_webhooks: a replay that is still invalid is not a new invalid webhook", async () => {
    const original = await eventAt(T0 - 3 * 60 * MIN, "invalid");
    const replay = await eventAt(T0 - 10 * MIN, "invalid");
    await env.DB.prepare("UPDATE events SET replay_of = ?1 WHERE id = ?2").bind(original, replay).run();
    await checks(sink, T0, 3);
    expect(transitions(sink)).toEqual([]);
  });

  it("signature_failures: refused signatures in 15 minutes at or above the threshold", async () => {
    await env.DB.prepare("INSERT INTO signature_failures (minute_ms, count) VALUES (?1, 19)")
      .bind(T0 - 5 * MIN)
      .run();
    await checks(sink, T0, 3);
    expect(transitions(sink)).toEqual([]);
    await env.DB.prepare("UPDATE signature_failures SET count = 25").run();
    await checks(sink, T0 + 3 * MIN, 3);
    expect(transitions(sink)).toEqual(["signature_failures opened"]);
    expect(String(sink.received[0]?.json.text)).toContain("ARGYLE_WEBHOOK_SECRET_PREVIOUS");
    // The bucket leaves the 15-minute window at T0 + 10 min.
    await checks(sink, T0 + 11 * MIN, 3);
    expect(transitions(sink)).toEqual(["signature_failures opened", "signature_failures resolved"]);
  });

  it("no_webhooks: off by default; with ALERT_NO_WEBHOOK_HOURS, silence while accounts exist", async () => {
    await runningBackfill(T0);
    await env.DB.prepare("UPDATE accounts SET backfill_status = 'done'").run();
    await eventAt(T0 - 3 * 3_600_000, "recorded");
    await checks(sink, T0, 3);
    expect(transitions(sink)).toEqual([]);
    const vars = { ALERT_NO_WEBHOOK_HOURS: "2" };
    let t = await checks(sink, T0, 3, vars);
    expect(transitions(sink)).toEqual(["no_webhooks opened"]);
    await eventAt(t, "accepted");
    t = await checks(sink, t, 3, vars);
    expect(transitions(sink)).toEqual(["no_webhooks opened", "no_webhooks resolved"]);
  });

  it("reconciliation_drift: finds nothing (and fails nothing) while accounts.drift_found does not exist", async () => {
    const summary = await check(sink, T0);
    expect(summary?.findings).toBe(0);
    expect(await alertRows()).toEqual([]);
  });
});

describe("a real 401 from Argyle", () => {
  it("is recorded by the consumer as an auth attempt, which the auth rule reads", async () => {
    const { useLocalArgyle, runBatch, job } = await import("./helpers.ts");
    const argyle = useLocalArgyle();
    argyle.faults.update({ authFailing: true });
    vi.spyOn(console, "error").mockImplementation(() => {});
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const account = argyle.store.accounts()[0]?.id as string;
    const gig = argyle.store.gigsOf(account)[0]?.id as string;
    await runBatch([job("fetch_gigs", { account, ids: [gig] })]);
    const now = Date.now();
    await checks(sink, now, 3);
    expect(transitions(sink)).toEqual(["auth_refused opened"]);
  });
});

describe("damping", () => {
  it("a flap shorter than ALERT_CHECKS sends nothing, either way", async () => {
    // Holds for 2 checks, clear for 1, holds for 2 again: never 3 in a row.
    const id = await openFailure(T0);
    let t = await checks(sink, T0, 2);
    await env.DB.prepare("UPDATE failures SET status = 'redriven'").run();
    t = await checks(sink, t, 1);
    expect(await alertRows()).toEqual([]);
    await env.DB.prepare("UPDATE failures SET status = 'open'").run();
    t = await checks(sink, t, 2);
    expect(transitions(sink)).toEqual([]);
    // Held a third time in a row: opens. Then clear for 2, back for 1: still open, nothing sent.
    t = await checks(sink, t, 1);
    expect(transitions(sink)).toEqual(["open_failures opened"]);
    await env.DB.prepare("UPDATE failures SET status = 'redriven'").run();
    t = await checks(sink, t, 2);
    await env.DB.prepare("UPDATE failures SET status = 'open'").run();
    t = await checks(sink, t, 1);
    await env.DB.prepare("UPDATE failures SET status = 'redriven'").run();
    t = await checks(sink, t, 2);
    expect(transitions(sink)).toEqual(["open_failures opened"]);
    expect((await alertRows())[0]).toMatchObject({ status: "open", clears: 2 });
    await checks(sink, t, 1);
    expect(transitions(sink)).toEqual(["open_failures opened", "open_failures resolved"]);
    expect(id).toBeTruthy();
  }, 60_000);

  it("ALERT_CHECKS=1 opens and resolves on the first check", async () => {
    await openFailure(T0);
    await check(sink, T0, { ALERT_CHECKS: "1" });
    expect(transitions(sink)).toEqual(["open_failures opened"]);
    await env.DB.prepare("DELETE FROM failures").run();
    await check(sink, T0 + MIN, { ALERT_CHECKS: "1" });
    expect(transitions(sink)).toEqual(["open_failures opened", "open_failures resolved"]);
  });
});

describe("exactly one notification per transition", () => {
  it("across many cron runs: opened once, resolved once, re-opened once", async () => {
    await openFailure(T0);
    let t = await checks(sink, T0, 30);
    await env.DB.prepare("UPDATE failures SET status = 'redriven'").run();
    t = await checks(sink, t, 30);
    await openFailure(t);
    t = await checks(sink, t, 30);
    expect(transitions(sink)).toEqual(["open_failures opened", "open_failures resolved", "open_failures reopened"]);
    // One alert row: the same alert came back.
    const rows = await alertRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ rule: "open_failures", status: "open", opens: 2 });
    const text = String(sink.received[2]?.json.text);
    expect(text).toContain("[RE-OPENED]");
  }, 60_000);

  it("two cron runs evaluating at once send one notice", async () => {
    await openFailure(T0);
    await checks(sink, T0, 2);
    await Promise.all([check(sink, T0 + 2 * MIN), check(sink, T0 + 2 * MIN + 1)]);
    await checks(sink, T0 + 3 * MIN, 3);
    expect(transitions(sink)).toEqual(["open_failures opened"]);
  });

  it("an acknowledged alert stays quiet, and re-opens when something new fails", async () => {
    await openFailure(T0 - MIN);
    let t = await checks(sink, T0, 3);
    const [row] = await alertRows();
    const { acknowledgeAlert } = await import("../../../src/domain/alerts/read.ts");
    expect((await acknowledgeAlert(env.DB, row?.id as string)).outcome).toBe("acknowledged");
    t = await checks(sink, t, 10);
    expect(transitions(sink)).toEqual(["open_failures opened"]);
    await openFailure(t);
    await checks(sink, t, 1);
    expect(transitions(sink)).toEqual(["open_failures opened", "open_failures reopened"]);
  });
});

describe("delivery", () => {
  it("a failing endpoint is retried on later runs, in order, without duplicates once it recovers", async () => {
    sink.failWith = 503;
    await openFailure(T0);
    let t = await checks(sink, T0, 5);
    await env.DB.prepare("UPDATE failures SET status = 'redriven'").run();
    sink.failWith = "unreachable";
    t = await checks(sink, t, 5);
    expect(sink.received).toEqual([]);
    expect(sink.requests).toBeGreaterThanOrEqual(5);
    const pending = await env.DB.prepare(
      "SELECT transition, attempts, last_error FROM alert_notifications WHERE sent_at IS NULL ORDER BY id",
    ).all<{ transition: string; attempts: number; last_error: string }>();
    expect(pending.results.map((r) => r.transition)).toEqual(["opened", "resolved"]);
    expect(pending.results[0]?.last_error).toMatch(/could not be reached/);
    // The URL (a Slack URL is a credential) is never stored or logged with the error.
    expect(pending.results[0]?.last_error).not.toContain("alerts.test");

    sink.failWith = null;
    await checks(sink, t, 5);
    expect(transitions(sink)).toEqual(["open_failures opened", "open_failures resolved"]);
    const ids = sink.received.map((r) => r.headers["x-mirror-delivery"]);
    expect(new Set(ids).size).toBe(2);
  }, 60_000);

  it("a notice the endpoint refuses for a day is given up (kept, logged), so later ones are not held back", async () => {
    const { MAX_SEND_ATTEMPTS } = await import("../../../src/domain/alerts/outbox.ts");
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => void errors.push(line));
    sink.failWith = 400;
    await openFailure(T0);
    let t = await checks(sink, T0, 3);
    await env.DB.prepare("UPDATE alert_notifications SET attempts = ?1").bind(MAX_SEND_ATTEMPTS).run();
    sink.failWith = null;
    await env.DB.prepare("UPDATE failures SET status = 'redriven'").run();
    t = await checks(sink, t, 3);
    expect(transitions(sink)).toEqual(["open_failures resolved"]);
    const opened = await env.DB.prepare(
      "SELECT sent_at, last_error FROM alert_notifications WHERE transition = 'opened'",
    ).first();
    expect(opened).toEqual({ sent_at: expect.any(String), last_error: `given up after ${MAX_SEND_ATTEMPTS} attempts` });
    expect(errors.join("\n")).toContain("alert notification given up");
  });

  it("a rule evaluation does not wait for a failing endpoint: transitions are recorded while it is down", async () => {
    sink.failWith = "unreachable";
    await openFailure(T0);
    await checks(sink, T0, 3);
    expect((await alertRows())[0]).toMatchObject({ status: "open" });
  });

  it("without ALERT_WEBHOOK_URL nothing is sent, and setting it later does not replay old notices", async () => {
    await openFailure(T0);
    const t = await checks(sink, T0, 3, { ALERT_WEBHOOK_URL: "" });
    expect(sink.requests).toBe(0);
    await checks(sink, t, 3);
    expect(sink.requests).toBe(0);
    expect((await alertRows())[0]).toMatchObject({ status: "open" });
  });

  it("a malformed setting turns alerts off with a logged error, and throws nothing", async () => {
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => void errors.push(line));
    await expect(check(sink, T0, { ALERT_CHECKS: "zero" })).resolves.toBeNull();
    expect(errors.join("\n")).toMatch(/ALERT_CHECKS must be an integer/);
  });
});

describe("the cron", () => {
  it("runs the watchdog after maintenance, with the consumer's env", async () => {
    const { createScheduledController } = await import("cloudflare:test");
    const worker = (await import("../../../src/consumer/index.ts")).default;
    await openFailure(Date.now());
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(sink.fetch);
    for (let i = 0; i < 3; i++) {
      await worker.scheduled(createScheduledController({ scheduledTime: Date.now() + i * MIN, cron: "* * * * *" }), {
        ...env,
        ALERT_WEBHOOK_URL: "https://alerts.test/hook",
      });
    }
    expect(fetchSpy).toHaveBeenCalled();
    expect(transitions(sink)).toEqual(["open_failures opened"]);
    expect(newTimeOrderedId()).toBeTruthy();
  });

  it("a backfill the cron keeps reviving in vain still opens backfill_stalled (revival keeps the last checkpoint)", async () => {
    const { createScheduledController } = await import("cloudflare:test");
    const worker = (await import("../../../src/consumer/index.ts")).default;
    const sent: unknown[] = [];
    vi.spyOn(env.JOBS, "sendBatch").mockImplementation(async (messages) => {
      sent.push(...messages);
      return {} as QueueSendBatchResponse;
    });
    vi.spyOn(globalThis, "fetch").mockImplementation(sink.fetch);
    const start = Date.now();
    await runningBackfill(start - 16 * MIN);
    // The cron every minute for 20 minutes; the revived messages never make progress.
    for (let i = 0; i < 20; i++) {
      await worker.scheduled(createScheduledController({ scheduledTime: start + i * MIN, cron: "* * * * *" }), {
        ...env,
        ALERT_WEBHOOK_URL: "https://alerts.test/hook",
      });
    }
    // Revived at 0 and 15 minutes (every 15 minutes, as before), and alerted once it passed 30.
    expect(sent).toHaveLength(2);
    expect(transitions(sink)).toEqual(["backfill_stalled opened"]);
    const row = await env.DB.prepare("SELECT backfill_progress_ms FROM accounts").first<{
      backfill_progress_ms: number;
    }>();
    expect(row?.backfill_progress_ms).toBe(start - 16 * MIN);
  }, 60_000);
});
