/**
 * What the alert endpoint receives, checked as the receiving system would: the Slack body's text,
 * and the signed JSON body verified with Web Crypto (HMAC-SHA256 over "<timestamp>.<body>").
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ALERT_SECRET,
  alertSink,
  checks,
  clearAlertTables,
  MIN,
  openFailure,
  type Received,
  type Sink,
} from "./alert-helpers.ts";

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);
const JSON_VARS = { ALERT_WEBHOOK_FORMAT: "json", ALERT_WEBHOOK_SECRET: ALERT_SECRET };
let sink: Sink;

beforeEach(async () => {
  await clearAlertTables();
  sink = alertSink();
  vi.spyOn(console, "log").mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

/** A receiver's check: fresh timestamp, then a constant-time HMAC verify over "<timestamp>.<raw body>". */
async function verify(received: Received, secret: string, nowMs: number): Promise<boolean> {
  const timestamp = received.headers["x-mirror-timestamp"] ?? "";
  const signature = received.headers["x-mirror-signature"] ?? "";
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > 300) return false;
  const match = /^sha256=([0-9a-f]{64})$/.exec(signature);
  if (!match?.[1]) return false;
  const mac = Uint8Array.from(match[1].match(/../g) ?? [], (h) => Number.parseInt(h, 16));
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  return crypto.subtle.verify("HMAC", key, mac, new TextEncoder().encode(`${timestamp}.${received.body}`));
}

describe("the Slack body (default)", () => {
  it("says what is wrong, since when, how many, the next step, and how to acknowledge", async () => {
    await openFailure(T0 - 7 * MIN);
    let t = await checks(sink, T0, 3);
    await env.DB.prepare("UPDATE failures SET status = 'redriven'").run();
    t = await checks(sink, t, 3);
    const [opened, resolved] = sink.received;
    expect(Object.keys(opened?.json ?? {})).toEqual(["text"]);
    const alertId = (await env.DB.prepare("SELECT id FROM alerts").first<{ id: string }>())?.id;
    expect(String(opened?.json.text).split("\n")).toEqual([
      ":rotating_light: *[OPENED] Jobs failed for good*",
      "1 job(s) failed for good and wait in failures: their gigs are missing from the mirror.",
      `Since: ${new Date(T0 - 7 * MIN).toISOString()}. Affected: 1.`,
      "Next step: List them: `GET /api/failures?status=open` (each has a reason and last_error). Fix the cause, then `POST /api/failures/{id}/retry` for each.",
      `Alert ${alertId} (rule \`open_failures\`): \`GET /api/alerts\`, acknowledge with \`POST /api/alerts/${alertId}/ack\`.`,
    ]);
    expect(String(resolved?.json.text)).toMatch(
      /^:white_check_mark: \*\[RESOLVED\] Jobs failed for good\*\nCleared at /,
    );
    // Slack bodies are not signed (Slack does not check), but carry the delivery id.
    expect(opened?.headers["x-mirror-signature"]).toBeUndefined();
    expect(opened?.headers["x-mirror-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("the signed JSON body (ALERT_WEBHOOK_FORMAT=json)", () => {
  it("verifies with the secret, and carries the transition and the alert", async () => {
    await openFailure(T0 - 7 * MIN);
    await checks(sink, T0, 3, JSON_VARS);
    const [opened] = sink.received;
    expect(opened).toBeDefined();
    const sentAt = T0 + 2 * MIN;
    expect(await verify(opened as Received, ALERT_SECRET, sentAt)).toBe(true);
    expect(opened?.json).toEqual({
      type: "alert.opened",
      id: opened?.headers["x-mirror-delivery"],
      alert: {
        id: expect.any(String),
        rule: "open_failures",
        scope: null,
        title: "Jobs failed for good",
        summary: expect.stringContaining("1 job(s) failed for good"),
        next_step: expect.stringContaining("GET /api/failures?status=open"),
        affected: 1,
        since: new Date(T0 - 7 * MIN).toISOString(),
        opened_at: new Date(sentAt).toISOString(),
        resolved_at: null,
      },
      at: new Date(sentAt).toISOString(),
    });
  });

  it("fails verification with another secret, a changed body, or a replayed old timestamp", async () => {
    await openFailure(T0);
    await checks(sink, T0, 3, JSON_VARS);
    const opened = sink.received[0] as Received;
    const sentAt = T0 + 2 * MIN;
    expect(await verify(opened, "another-secret", sentAt)).toBe(false);
    expect(
      await verify({ ...opened, body: opened.body.replace('"affected":1', '"affected":2') }, ALERT_SECRET, sentAt),
    ).toBe(false);
    expect(await verify(opened, ALERT_SECRET, sentAt + 10 * MIN)).toBe(false);
    const forged = { ...opened, headers: { ...opened.headers, "x-mirror-timestamp": String(sentAt / 1000 + 600) } };
    expect(await verify(forged, ALERT_SECRET, sentAt + 10 * MIN)).toBe(false);
  });

  it("without ALERT_WEBHOOK_SECRET, json is refused as a setting (nothing unsigned is sent)", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    await openFailure(T0);
    await checks(sink, T0, 3, { ALERT_WEBHOOK_FORMAT: "json" });
    expect(sink.requests).toBe(0);
  });

  it("no message carries a secret", async () => {
    await openFailure(T0);
    await checks(sink, T0, 3, JSON_VARS);
    const all = sink.received.map((r) => JSON.stringify(r)).join("\n");
    for (const secret of [ALERT_SECRET, "test-key-secret", "test-key-id", "test-webhook-secret", "test-api-token"]) {
      expect(all).not.toContain(secret);
    }
  });
});
