import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetSignatureCounter } from "../../../src/domain/alerts/signature-counter.ts";
import type { AlertRow } from "../../../src/domain/alerts/state.ts";
import { alertId, insertAlert } from "../alert-helpers.ts";
import { ACCOUNT, apiJson, bearer } from "../api-helpers.ts";
import { callReceiver, clearTables, gigsUpdatedBody, postWebhook } from "../helpers.ts";

interface AlertPage {
  data: AlertRow[];
  next: string | null;
}
type ErrorBody = { error: { code: string; message: string } };

beforeEach(async () => {
  await clearTables();
  await env.DB.batch(
    ["alerts", "alert_notifications", "signature_failures"].map((t) => env.DB.prepare(`DELETE FROM ${t}`)),
  );
});
afterEach(() => vi.restoreAllMocks());

describe("GET /api/alerts", () => {
  beforeEach(async () => {
    await insertAlert(1, { status: "resolved", resolved_at: "2026-11-29T13:00:00.000Z" });
    await insertAlert(2, { rule: "backfill_stalled", scope: ACCOUNT });
    await insertAlert(3, { rule: "auth_refused", status: "acknowledged", acknowledged_at: "2026-11-29T12:05:00.000Z" });
    await insertAlert(4, { rule: "invalid_webhooks", status: "pending", hits: 1, opens: 0, opened_at: null });
  });

  it("lists open and recent alerts, newest first", async () => {
    const { status, body } = await apiJson<AlertPage>("/api/alerts");
    expect(status).toBe(200);
    expect(body.data.map((a) => [a.id, a.rule, a.status])).toEqual([
      [alertId(4), "invalid_webhooks", "pending"],
      [alertId(3), "auth_refused", "acknowledged"],
      [alertId(2), "backfill_stalled", "open"],
      [alertId(1), "open_failures", "resolved"],
    ]);
    expect(body.data[2]).toMatchObject({ scope: ACCOUNT, summary: expect.any(String), next_step: expect.any(String) });
    expect(body.next).toBeNull();
  });

  it("filters by status, rule and account", async () => {
    expect((await apiJson<AlertPage>("/api/alerts?status=open")).body.data.map((a) => a.id)).toEqual([alertId(2)]);
    expect((await apiJson<AlertPage>("/api/alerts?rule=auth_refused")).body.data.map((a) => a.id)).toEqual([
      alertId(3),
    ]);
    expect((await apiJson<AlertPage>(`/api/alerts?account=${ACCOUNT}`)).body.data.map((a) => a.id)).toEqual([
      alertId(2),
    ]);
  });

  it("pages with keyset cursors, keeping the filters", async () => {
    const first = await apiJson<AlertPage>("/api/alerts?limit=3");
    expect(first.body.data.map((a) => a.id)).toEqual([alertId(4), alertId(3), alertId(2)]);
    const second = await apiJson<AlertPage>(first.body.next as string);
    expect(second.body.data.map((a) => a.id)).toEqual([alertId(1)]);
    expect(second.body.next).toBeNull();
  });

  it("refuses bad parameters with 400 and changes nothing", async () => {
    const { status, body } = await apiJson<ErrorBody>("/api/alerts?status=firing&rule=nope");
    expect(status).toBe(400);
    expect(body.error.code).toBe("invalid_parameter");
    expect(body.error.message).toMatch(/status: .*rule: /);
  });

  it("needs the API token", async () => {
    expect((await apiJson("/api/alerts", { headers: {} })).status).toBe(401);
    expect((await apiJson(`/api/alerts/${alertId(2)}/ack`, { method: "POST", headers: {} })).status).toBe(401);
  });
});

describe("POST /api/alerts/{id}/ack", () => {
  it("acknowledges an open alert, and again answers the same", async () => {
    await insertAlert(2);
    const first = await apiJson<AlertRow>(`/api/alerts/${alertId(2)}/ack`, { method: "POST" });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: alertId(2), status: "acknowledged", acknowledged_at: expect.any(String) });
    const again = await apiJson<AlertRow>(`/api/alerts/${alertId(2)}/ack`, { method: "POST", headers: bearer() });
    expect(again.status).toBe(200);
    expect(again.body.acknowledged_at).toBe(first.body.acknowledged_at);
    // Each call is in the audit log, with the token's role, before it acts.
    const audit = await env.DB.prepare(
      "SELECT action, token_role, target FROM audit_log WHERE action = 'acknowledge' ORDER BY id",
    ).all();
    expect(audit.results).toEqual([
      { action: "acknowledge", token_role: expect.any(String), target: alertId(2) },
      { action: "acknowledge", token_role: expect.any(String), target: alertId(2) },
    ]);
  });

  it("409 for an alert that is not open (pending or resolved), 404 for none", async () => {
    await insertAlert(1, { status: "resolved" });
    await insertAlert(4, { rule: "invalid_webhooks", status: "pending" });
    const resolved = await apiJson<ErrorBody>(`/api/alerts/${alertId(1)}/ack`, { method: "POST" });
    expect([resolved.status, resolved.body.error.code]).toEqual([409, "not_open"]);
    expect((await apiJson<ErrorBody>(`/api/alerts/${alertId(4)}/ack`, { method: "POST" })).status).toBe(409);
    expect((await apiJson<ErrorBody>(`/api/alerts/${alertId(9)}/ack`, { method: "POST" })).status).toBe(404);
    expect((await apiJson<ErrorBody>("/api/alerts/not-an-id/ack", { method: "POST" })).status).toBe(404);
    const row = await env.DB.prepare("SELECT status FROM alerts WHERE id = ?1").bind(alertId(1)).first();
    expect(row).toEqual({ status: "resolved" });
  });
});

describe("GET /health", () => {
  it("includes the summary of open alerts by rule, and stays 200 while alerts are open", async () => {
    const empty = await callReceiver(new Request("https://receiver.test/health"));
    expect(await empty.json()).toMatchObject({ status: "ok", alerts: { open: 0, acknowledged: 0, by_rule: {} } });
    await insertAlert(1, { status: "resolved" });
    await insertAlert(2, { rule: "backfill_stalled", scope: ACCOUNT });
    await insertAlert(3, { rule: "backfill_stalled", scope: "0187c66e-ffff-811c-b006-2232f00f426a" });
    await insertAlert(4, { rule: "auth_refused", status: "acknowledged" });
    await insertAlert(5, { rule: "invalid_webhooks", status: "pending" });
    const res = await callReceiver(new Request("https://receiver.test/health"));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: "ok",
      alerts: { open: 2, acknowledged: 1, by_rule: { backfill_stalled: 2, auth_refused: 1 } },
    });
  });
});

describe("refused signatures are counted without a D1 write per request", () => {
  it("the first refusal is written at once, the rest of a burst within the minute is not", async () => {
    resetSignatureCounter();
    const body = gigsUpdatedBody(["0190c0de-0000-7000-8000-000000000001"]);
    const runs: string[] = [];
    const prepare = env.DB.prepare.bind(env.DB);
    vi.spyOn(env.DB, "prepare").mockImplementation((sql) => {
      if (sql.startsWith("INSERT INTO signature_failures")) runs.push(sql);
      return prepare(sql);
    });
    for (let i = 0; i < 30; i++) {
      const res = await postWebhook(body, { signature: i % 2 === 0 ? "00" : null });
      expect(res.status).toBe(401);
    }
    expect(runs).toHaveLength(1);
    const rows = await env.DB.prepare("SELECT count FROM signature_failures").all<{ count: number }>();
    expect(rows.results).toEqual([{ count: 1 }]);
    // A correctly signed webhook is not counted.
    expect((await postWebhook(body)).status).toBe(202);
    expect(runs).toHaveLength(1);
  });

  it("a refusal a minute later flushes everything counted meanwhile into its minute's bucket", async () => {
    const { countSignatureFailure } = await import("../../../src/domain/alerts/signature-counter.ts");
    resetSignatureCounter();
    const t0 = Date.UTC(2026, 10, 29, 12, 0, 10);
    const flushes = [];
    for (let i = 0; i < 50; i++) flushes.push(countSignatureFailure(env.DB, t0 + i * 1000));
    expect(flushes.filter((f) => f !== null)).toHaveLength(1);
    for (const f of flushes) await f?.run();
    const later = countSignatureFailure(env.DB, t0 + 61_000);
    await later?.run();
    const { results } = await env.DB.prepare(
      "SELECT minute_ms, count FROM signature_failures ORDER BY minute_ms",
    ).all();
    expect(results).toEqual([
      { minute_ms: Date.UTC(2026, 10, 29, 12, 0, 0), count: 1 },
      { minute_ms: Date.UTC(2026, 10, 29, 12, 1, 0), count: 50 },
    ]);
  });
});
