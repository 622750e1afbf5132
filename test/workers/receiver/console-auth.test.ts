import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MAX_FAILURES, resetRateLimit } from "../../../src/receiver/console/rate-limit.ts";
import { SESSION_SECONDS } from "../../../src/receiver/console/session.ts";
import { alertId, clearAlerts, insertAlert } from "../alert-helpers.ts";
import { API_TOKEN, insertFailure } from "../api-helpers.ts";
import { ConsoleClient } from "../console-helpers.ts";
import { clearTables } from "../helpers.ts";

beforeEach(async () => {
  resetRateLimit();
  await clearTables();
  await clearAlerts();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const SCREENS = ["/console", "/console/accounts", "/console/events", "/console/failures", "/console/alerts"];

describe("console login", () => {
  it("sends a visitor without a session to the login form, which asks only for the token", async () => {
    const client = new ConsoleClient();
    for (const path of SCREENS) {
      const res = await client.get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get("location")).toBe("/console/login");
    }
    const form = await client.get("/console/login");
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toMatch(/<label for="token">Admin token<\/label>/);
    expect(html).toMatch(/type="password"/);
  });

  it("sets an HMAC-signed, expiring, HttpOnly, Secure, SameSite=Strict cookie for the right token", async () => {
    const client = new ConsoleClient();
    const res = await client.login();
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/console");
    const cookie = client.lastSetCookie ?? "";
    expect(cookie).toMatch(/^console_session=[0-9a-f]{32}\.\d+\.[^;]+;/);
    expect(cookie).toMatch(/Max-Age=28800/);
    expect(cookie).toMatch(/Path=\/console/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(API_TOKEN);
    for (const path of SCREENS) expect((await client.get(path)).status, path).toBe(200);
  });

  it("refuses a wrong token, sets no cookie, and rate-limits the address after a few tries", async () => {
    const client = new ConsoleClient();
    for (let i = 0; i < MAX_FAILURES; i++) {
      const res = await client.login("not-the-token");
      expect(res.status).toBe(401);
      expect(await res.text()).toContain("not the admin token");
    }
    expect(client.cookie).toBeNull();
    const limited = await client.login(API_TOKEN);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(client.cookie).toBeNull();
    // Another address is not affected.
    const other = new ConsoleClient({}, "203.0.113.9");
    expect((await other.login()).status).toBe(303);
  });

  it("refuses a forged or tampered cookie", async () => {
    const client = new ConsoleClient();
    await client.login();
    const [name, value = ""] = (client.cookie ?? "").split("=");
    const [sid = "", exp = "", sig = ""] = decodeURIComponent(value).split(".");
    // A later expiry with the old signature.
    client.cookie = `${name}=${encodeURIComponent(`${sid}.${Number(exp) + 1e9}.${sig}`)}`;
    expect((await client.get("/console")).status).toBe(303);
    client.cookie = `${name}=${sid}.${exp}`;
    expect((await client.get("/console")).status).toBe(303);
  });

  it("expires the session after its lifetime even if the browser keeps the cookie", async () => {
    const client = new ConsoleClient();
    await client.login();
    expect((await client.get("/console")).status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + SESSION_SECONDS * 1000 + 1000);
    expect((await client.get("/console")).status).toBe(303);
  });

  it("ends the session on logout", async () => {
    const client = new ConsoleClient();
    await client.login();
    const kept = client.cookie;
    const csrf = await client.csrf();
    const res = await client.post("/console/logout", { _csrf: csrf });
    expect(res.status).toBe(303);
    expect(client.lastSetCookie).toMatch(/console_session=;.*Max-Age=0/);
    expect(client.cookie).toBeNull();
    expect(kept).not.toBeNull();
  });

  it("answers 503 naming API_TOKEN_ADMIN when no admin token is set, never opens", async () => {
    const client = new ConsoleClient({ API_TOKEN: undefined });
    const off = await client.get("/console");
    expect(off.status).toBe(503);
    expect(await off.text()).toContain("API_TOKEN_ADMIN");
    expect((await client.login("")).status).toBe(303);
    expect(client.cookie).toBeNull();
  });
});

describe("CSRF", () => {
  it("refuses every mutation without the session's CSRF token, and changes nothing", async () => {
    const send = vi.spyOn(env.JOBS, "sendBatch");
    const id = "0190c0de-0000-7000-8000-000000000001";
    await insertFailure({ id });
    await insertAlert(1);
    const client = new ConsoleClient();
    await client.login();
    const other = new ConsoleClient({}, "203.0.113.10");
    await other.login();
    const foreign = await other.csrf();
    for (const token of [undefined, "0".repeat(64), foreign]) {
      const form: Record<string, string> = token ? { _csrf: token } : {};
      for (const path of [
        `/console/failures/${id}/retry`,
        "/console/failures/retry",
        "/console/events/replay",
        `/console/alerts/${alertId(1)}/ack`,
        "/console/logout",
      ]) {
        const res = await client.post(path, form);
        expect(res.status, `${path} ${token}`).toBe(403);
      }
    }
    expect(send).not.toHaveBeenCalled();
    expect(await env.DB.prepare("SELECT status FROM failures").first()).toEqual({ status: "open" });
    expect(await env.DB.prepare("SELECT status FROM alerts").first()).toEqual({ status: "open" });
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_log").first()).toEqual({ n: 0 });
  });

  it("refuses a cross-site form post even with a token (Origin check)", async () => {
    const client = new ConsoleClient();
    await client.login();
    const csrf = await client.csrf();
    const res = await client.post("/console/failures/retry", { _csrf: csrf }, { origin: "https://evil.example" });
    expect(res.status).toBe(403);
  });
});

describe("headers", () => {
  it("serves every page with a strict CSP and no caching; nothing inline", async () => {
    const client = new ConsoleClient();
    await client.login();
    for (const path of [...SCREENS, "/console/login"]) {
      const res = await client.get(path);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(res.headers.get("cache-control")).toBe("no-store");
      const html = await res.text();
      expect(html).not.toMatch(/<script>|<style|style="|\son[a-z]+="/);
      expect(html).not.toContain(API_TOKEN);
      expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    }
  });

  it("serves its CSS and JS itself", async () => {
    const client = new ConsoleClient();
    const css = await client.get("/console/assets/console.css");
    expect(css.headers.get("content-type")).toMatch(/text\/css/);
    expect(await css.text()).toContain("prefers-color-scheme: dark");
    const js = await client.get("/console/assets/console.js");
    expect(js.headers.get("content-type")).toMatch(/javascript/);
  });
});
