import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WWW_AUTHENTICATE } from "../../../src/receiver/api-auth.ts";
import app from "../../../src/receiver/index.ts";
import updated from "../../fixtures/webhooks/gigs.updated.json";
import { API_TOKEN, api, basic, bearer, insertFailure } from "../api-helpers.ts";
import { guardedRoutes, READ_API_ROUTES, SAMPLE_ID } from "../guarded-routes.ts";
import { callReceiver, clearTables, countRows, postWebhook } from "../helpers.ts";

const guarded = guardedRoutes(app.routes);

async function expectUnauthorized(res: Response, path: string): Promise<void> {
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toBe(WWW_AUTHENTICATE);
  const body = await res.json();
  if (path.startsWith("/v2/")) expect(body).toEqual({ detail: "Invalid username/password." });
  else expect(body).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
}

beforeEach(clearTables);
afterEach(() => vi.restoreAllMocks());

describe("every read-API route requires API_TOKEN", () => {
  it("enumerates the app's routes, including all the read API's", () => {
    expect(guarded.map((r) => r.label)).toEqual(expect.arrayContaining(READ_API_ROUTES));
  });

  it.each(guarded)("$label answers 401 without credentials", async ({ method, path }) => {
    await expectUnauthorized(await api(path, { method, headers: {} }), path);
  });

  it.each(guarded)("$label answers 401 with a wrong token", async ({ method, path }) => {
    await expectUnauthorized(await api(path, { method, headers: bearer("not-the-token") }), path);
    await expectUnauthorized(await api(path, { method, headers: basic("not-the-token") }), path);
  });

  it.each([
    ["unset", undefined],
    ["empty", ""],
  ])("every guarded route answers 503 not_configured when API_TOKEN is %s, never open", async (_label, token) => {
    for (const { method, path } of guarded) {
      const res = await api(path, { method, env: { API_TOKEN: token } });
      expect(res.status, `${method} ${path}`).toBe(503);
      expect(await res.json()).toEqual({ error: { code: "not_configured", message: expect.any(String) } });
    }
  });

  it("is not fooled into running a POST route: nothing is replayed or redriven", async () => {
    const sendBatch = vi.spyOn(env.JOBS, "sendBatch");
    const { id } = await (await postWebhook(JSON.stringify(updated))).json<{ id: string }>();
    await insertFailure({ id: SAMPLE_ID });
    sendBatch.mockClear();
    expect((await api(`/api/events/${id}/replay`, { method: "POST", headers: {} })).status).toBe(401);
    expect((await api(`/api/failures/${SAMPLE_ID}/retry`, { method: "POST", headers: {} })).status).toBe(401);
    expect(sendBatch).not.toHaveBeenCalled();
    expect(await countRows("events")).toBe(1);
    const failure = await env.DB.prepare("SELECT status FROM failures").first();
    expect(failure).toEqual({ status: "open" });
  });
});

describe("credentials", () => {
  it("accepts the token as a bearer token, scheme in any case", async () => {
    expect((await api("/api/events", { headers: bearer() })).status).toBe(200);
    expect((await api("/v2/gigs", { headers: { authorization: `bearer ${API_TOKEN}` } })).status).toBe(200);
  });

  it("accepts HTTP Basic with any username and the token as password, as Argyle clients send", async () => {
    expect((await api("/v2/gigs", { headers: basic(API_TOKEN, "my-argyle-key-id") })).status).toBe(200);
    expect((await api("/v2/gigs", { headers: basic(API_TOKEN, "") })).status).toBe(200);
    expect((await api("/api/accounts", { headers: basic() })).status).toBe(200);
  });

  it("takes everything after the first colon as the password", async () => {
    const withColon = { API_TOKEN: "tok:en" };
    expect((await api("/v2/gigs", { headers: basic("tok:en", "user"), env: withColon })).status).toBe(200);
    // "tok:en:" is username "tok" and password "en:".
    const shifted = { authorization: `Basic ${btoa("tok:en:")}` };
    expect((await api("/v2/gigs", { headers: shifted, env: withColon })).status).toBe(401);
  });

  it.each([
    ["the token as Basic username", { authorization: `Basic ${btoa(`${API_TOKEN}:`)}` }],
    ["Basic without a colon", { authorization: `Basic ${btoa(API_TOKEN)}` }],
    ["Basic that is not base64", { authorization: "Basic %%%not-base64%%%" }],
    ["a prefix of the token", bearer(API_TOKEN.slice(0, -1))],
    ["the token with a suffix", bearer(`${API_TOKEN}x`)],
    ["the token in another case", bearer(API_TOKEN.toUpperCase())],
    ["an unknown scheme", { authorization: `Token ${API_TOKEN}` }],
    ["a bare token", { authorization: API_TOKEN }],
    ["an empty bearer", { authorization: "Bearer " }],
    ["a huge header", bearer(`${API_TOKEN}${"x".repeat(10_000)}`)],
    ["the token in the query string", {}],
  ])("refuses %s", async (_label, headers) => {
    await expectUnauthorized(await api(`/v2/gigs?token=${API_TOKEN}`, { headers }), "/v2/gigs");
  });

  it("compares fixed-length digests with crypto.subtle.timingSafeEqual", async () => {
    const spy = vi.spyOn(crypto.subtle, "timingSafeEqual");
    await api("/api/events", { headers: bearer("short") });
    await api("/api/events", { headers: bearer(`a-much-longer-token-than-the-real-one-${"y".repeat(100)}`) });
    expect(spy).toHaveBeenCalledTimes(2);
    for (const [a, b] of spy.mock.calls) {
      expect((a as ArrayBuffer).byteLength).toBe(32);
      expect((b as ArrayBuffer).byteLength).toBe(32);
    }
  });
});

describe("routes outside the read API stay as they were", () => {
  it("GET /health needs no token, even with API_TOKEN unset", async () => {
    const res = await callReceiver(new Request("https://receiver.test/health"), { API_TOKEN: undefined });
    expect(res.status).toBe(200);
  });

  it("webhooks are authenticated by signature, not by the API token", async () => {
    const res = await postWebhook(JSON.stringify(updated), { env: { API_TOKEN: undefined } });
    expect(res.status).toBe(202);
  });

  it("unknown paths under /v2 answer Argyle's 404 shape once authenticated", async () => {
    const res = await api("/v2/paystubs");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ detail: "Not found." });
  });
});
