/**
 * Least-privilege tokens, deletion by API, and the audit log of every mutating /api call.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import app from "../../../src/receiver/index.ts";
import updated from "../../fixtures/webhooks/gigs.updated.json";
import {
  ACCOUNT,
  api,
  apiJson,
  bearer,
  insertAccount,
  insertFailure,
  insertGigs,
  makeGig,
  USER,
} from "../api-helpers.ts";
import { guardedRoutes, SAMPLE_ID } from "../guarded-routes.ts";
import { clearTables, countRows, gigIds, postWebhook } from "../helpers.ts";

const READ = "read-token-0123456789";
const READ_OLD = "read-token-previous";
const ADMIN = "admin-token-0123456789";
const ADMIN_OLD = "admin-token-previous";
const TOKENS = {
  API_TOKEN: undefined,
  API_TOKEN_READ: READ,
  API_TOKEN_READ_PREVIOUS: READ_OLD,
  API_TOKEN_ADMIN: ADMIN,
  API_TOKEN_ADMIN_PREVIOUS: ADMIN_OLD,
};
const guarded = guardedRoutes(app.routes);
const apiRoutes = guarded.filter((r) => r.path.startsWith("/api/"));
const v2Routes = guarded.filter((r) => r.path.startsWith("/v2/"));

beforeEach(clearTables);
afterEach(() => vi.restoreAllMocks());

describe("accounts.removed webhook", () => {
  it("is accepted and queues the account's purge; without a usable account it is only recorded", async () => {
    const sendBatch = vi.spyOn(env.JOBS, "sendBatch");
    const body = JSON.stringify({ event: "accounts.removed", name: "s", data: { account: ACCOUNT, user: USER } });
    const res = await postWebhook(body);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: "accepted" });
    const queued = [...(sendBatch.mock.calls[0]?.[0] ?? [])].map((m) => m.body);
    expect(queued).toEqual([
      expect.objectContaining({ kind: "purge_account", account: ACCOUNT, user: USER, reason: "webhook" }),
    ]);

    sendBatch.mockClear();
    const bad = await postWebhook(JSON.stringify({ event: "accounts.removed", name: "s", data: { account: "x" } }));
    expect(await bad.json()).toMatchObject({ status: "recorded" });
    expect(sendBatch).not.toHaveBeenCalled();
  });
});

describe("least-privilege tokens", () => {
  it("enumerates both kinds of route", () => {
    expect(apiRoutes.length).toBeGreaterThan(8);
    expect(v2Routes.length).toBeGreaterThan(2);
  });

  it.each([READ, READ_OLD])("the read token (%s) cannot reach any /api route: 403, nothing done", async (token) => {
    const sendBatch = vi.spyOn(env.JOBS, "sendBatch");
    await insertFailure({ id: SAMPLE_ID });
    await insertGigs([makeGig(gigIds(1)[0] as string, "2023-03-01T00:00:00Z")]);
    for (const { method, path } of apiRoutes) {
      const res = await api(path, { method, headers: bearer(token), env: TOKENS });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await res.json()).toEqual({ error: { code: "forbidden", message: expect.any(String) } });
    }
    expect(sendBatch).not.toHaveBeenCalled();
    expect(await countRows("purged_accounts")).toBe(0);
    expect(await countRows("audit_log")).toBe(0);
  });

  it.each([READ, READ_OLD, ADMIN, ADMIN_OLD])("%s reads /v2/gigs", async (token) => {
    expect((await api("/v2/gigs", { headers: bearer(token), env: TOKENS })).status).toBe(200);
  });

  it.each([ADMIN, ADMIN_OLD])("the admin token %s reaches /api", async (token) => {
    expect((await api("/api/accounts", { headers: bearer(token), env: TOKENS })).status).toBe(200);
  });

  it("the old API_TOKEN still works as admin, with one warning per isolate, never the token", async () => {
    const warn = vi.spyOn(console, "warn");
    const legacy = { ...TOKENS, API_TOKEN: "the-old-token" };
    for (let i = 0; i < 3; i++) {
      expect((await api("/api/accounts", { headers: bearer("the-old-token"), env: legacy })).status).toBe(200);
    }
    const warnings = warn.mock.calls.map(([line]) => String(line)).filter((l) => l.includes("API_TOKEN"));
    // Once per isolate: an earlier test file in this isolate may already have logged it.
    expect(warnings.length).toBeLessThanOrEqual(1);
    for (const line of warnings) expect(line).not.toContain("the-old-token");
  });
});

describe("DELETE /api/accounts/{id}", () => {
  it("reads as deleted at once, schedules the purge, is audited with the token role, and is idempotent", async () => {
    const sendBatch = vi.spyOn(env.JOBS, "sendBatch");
    const [gig] = gigIds(1);
    await insertAccount({ id: ACCOUNT });
    await insertGigs([makeGig(gig as string, "2023-03-01T00:00:00Z")]);
    expect((await api(`/v2/gigs/${gig}`)).status).toBe(200);

    const first = await apiJson(`/api/accounts/${ACCOUNT}`, { method: "DELETE", headers: bearer(ADMIN), env: TOKENS });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: "scheduled", account: ACCOUNT, user: USER, reason: "api" });
    expect(sendBatch).toHaveBeenCalledTimes(1);
    const queued = [...(sendBatch.mock.calls[0]?.[0] ?? [])][0]?.body;
    expect(queued).toMatchObject({ kind: "purge_account", account: ACCOUNT, reason: "api", token_role: "admin" });

    // Deleted from the first moment, before the consumer has removed a single row.
    expect((await api(`/v2/gigs/${gig}`)).status).toBe(404);
    expect((await apiJson<{ results: unknown[] }>(`/v2/gigs?account=${ACCOUNT}`)).body.results).toEqual([]);
    expect((await api(`/api/accounts/${ACCOUNT}`)).status).toBe(404);
    expect((await apiJson<{ data: unknown[] }>("/api/accounts")).body.data).toEqual([]);

    const again = await apiJson(`/api/accounts/${ACCOUNT}`, { method: "DELETE", headers: bearer(ADMIN), env: TOKENS });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({
      status: "scheduled",
      requested_at: (first.body as { requested_at: string }).requested_at,
    });
    expect(sendBatch).toHaveBeenCalledTimes(1);
    const audit = await env.DB.prepare("SELECT action, reason, token_role, account, user FROM audit_log").all();
    expect(audit.results).toEqual([
      { action: "delete_account", reason: "api", token_role: "admin", account: ACCOUNT, user: USER },
    ]);
  });

  it("answers 404 for an account the mirror holds nothing of, and marks nothing", async () => {
    const res = await api(`/api/accounts/${SAMPLE_ID}`, { method: "DELETE" });
    expect(res.status).toBe(404);
    expect(await countRows("purged_accounts")).toBe(0);
  });

  it("the queue being down still schedules it: the marker stands and the cron starts the purge", async () => {
    vi.spyOn(env.JOBS, "sendBatch").mockRejectedValue(new Error("queue down"));
    await insertAccount({ id: ACCOUNT });
    const res = await apiJson(`/api/accounts/${ACCOUNT}`, { method: "DELETE" });
    expect(res.status).toBe(202);
    expect(await countRows("purged_accounts")).toBe(1);
  });
});

describe("DELETE /api/users/{id}", () => {
  it("deletes every account of the user, audited once for the user and once per account", async () => {
    vi.spyOn(env.JOBS, "sendBatch");
    const [a2] = gigIds(1, "0dd0");
    await insertAccount({ id: ACCOUNT });
    await insertAccount({ id: a2 as string });
    await insertAccount({ id: SAMPLE_ID, user: "0187c66e-0000-811c-b006-2232f00f426a" });
    const res = await apiJson<{ status: string; accounts: { account: string }[] }>(`/api/users/${USER}`, {
      method: "DELETE",
    });
    expect(res.status).toBe(202);
    expect(res.body.accounts.map((a) => a.account).sort()).toEqual([ACCOUNT, a2].sort());
    expect(await countRows("purged_accounts")).toBe(2);
    const actions = await env.DB.prepare("SELECT action, token_role FROM audit_log ORDER BY action").all();
    expect(actions.results).toEqual([
      { action: "delete_account", token_role: "legacy" },
      { action: "delete_account", token_role: "legacy" },
      { action: "delete_user", token_role: "legacy" },
    ]);
    expect((await api(`/api/users/${SAMPLE_ID}`, { method: "DELETE" })).status).toBe(404);
  });
});

describe("audit of mutating calls", () => {
  it("replay and redrive are written to the audit log with the token's role", async () => {
    const { id } = await (await postWebhook(JSON.stringify(updated))).json<{ id: string }>();
    await insertFailure({ id: SAMPLE_ID });
    expect(
      (await api(`/api/events/${id}/replay`, { method: "POST", headers: bearer(ADMIN), env: TOKENS })).status,
    ).toBe(202);
    expect(
      (await api(`/api/failures/${SAMPLE_ID}/retry`, { method: "POST", headers: bearer(ADMIN_OLD), env: TOKENS }))
        .status,
    ).toBe(202);
    const rows = await env.DB.prepare("SELECT action, token_role, target FROM audit_log ORDER BY id").all();
    expect(rows.results).toEqual([
      { action: "replay", token_role: "admin", target: id },
      { action: "redrive", token_role: "admin", target: SAMPLE_ID },
    ]);
  });
});
