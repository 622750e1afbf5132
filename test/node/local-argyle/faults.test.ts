import { describe, expect, it } from "vitest";
import type { FaultInput } from "../../../src/local-argyle/faults.ts";
import { call, localArgyle } from "./helpers.ts";

function setup(faults: FaultInput) {
  const argyle = localArgyle({ faults });
  const gigs = argyle.store.gigsOf(argyle.store.accounts()[0]?.id as string);
  return { argyle, id: gigs[0]?.id as string, otherId: gigs[1]?.id as string };
}

describe("fault knobs", () => {
  it("rateLimitRate: 429 with Retry-After in seconds", async () => {
    const { argyle, id } = setup({ rateLimitRate: 1, retryAfterSeconds: 3 });
    for (const path of [`/v2/gigs/${id}`, "/v2/gigs"]) {
      const response = await call(argyle, path);
      expect(response.status).toBe(429);
      expect(response.headers.get("retry-after")).toBe("3");
      expect(await response.json()).toEqual({ detail: "Request was throttled. Expected available in 3 seconds." });
    }
    expect(argyle.stats.snapshot().faults).toEqual({ rate_limit: 2 });
  });

  it("rateLimitRate: Retry-After as an HTTP-date", async () => {
    const { argyle, id } = setup({ rateLimitRate: 1, retryAfterSeconds: 5, retryAfterFormat: "http-date" });
    const before = Date.now();
    const response = await call(argyle, `/v2/gigs/${id}`);
    const header = response.headers.get("retry-after") ?? "";
    expect(header).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    const wait = Date.parse(header) - before;
    expect(wait).toBeGreaterThanOrEqual(5000);
    expect(wait).toBeLessThanOrEqual(7000);
  });

  it("rates are fractions of requests, reproducible from the seed", async () => {
    const pattern = async (seed = 99) => {
      const { argyle, id } = setup({ rateLimitRate: 0.25, serverErrorRate: 0.25, seed });
      const statuses: number[] = [];
      for (let i = 0; i < 400; i++) statuses.push((await call(argyle, `/v2/gigs/${id}`)).status);
      return statuses;
    };
    const first = await pattern();
    const limited = first.filter((s) => s === 429).length;
    const failed = first.filter((s) => s >= 500).length;
    expect(limited).toBeGreaterThan(60);
    expect(limited).toBeLessThan(140);
    expect(failed).toBeGreaterThan(60);
    expect(failed).toBeLessThan(140);
    expect(await pattern()).toEqual(first);
    expect(await pattern(100)).not.toEqual(first);
  });

  it("serverErrorRate: JSON 500 from the API, HTML 502-504 from the load balancer", async () => {
    const json = setup({ serverErrorRate: 1, serverErrorStatuses: [500] });
    const r500 = await call(json.argyle, `/v2/gigs/${json.id}`);
    expect(r500.status).toBe(500);
    expect(await r500.json()).toEqual({ detail: "A server error occurred." });

    const html = setup({ serverErrorRate: 1, serverErrorStatuses: [503] });
    const r503 = await call(html.argyle, "/v2/gigs");
    expect(r503.status).toBe(503);
    expect(r503.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await r503.text()).toContain("503 Service Unavailable");
  });

  it("timeoutRate: hangs until the client aborts", async () => {
    const { argyle, id } = setup({ timeoutRate: 1, hangMs: 60_000 });
    const controller = new AbortController();
    let settled = false;
    const pending = call(argyle, `/v2/gigs/${id}`, { signal: controller.signal }).finally(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    const abortedAt = Date.now();
    controller.abort();
    await pending;
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    expect(argyle.stats.fetchCount(id)).toBe(0);
  });

  it("timeoutRate: answers 504 once hangMs has passed", async () => {
    const { argyle } = setup({ timeoutRate: 1, hangMs: 80 });
    const started = Date.now();
    const response = await call(argyle, "/v2/gigs");
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    expect(response.status).toBe(504);
  });

  it("malformedRate: 200 application/json that does not parse, and not counted as a fetch", async () => {
    const { argyle, id } = setup({ malformedRate: 1 });
    for (const path of [`/v2/gigs/${id}`, "/v2/gigs"]) {
      const response = await call(argyle, path);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      const text = await response.text();
      expect(text.length).toBeGreaterThan(10);
      expect(() => JSON.parse(text)).toThrow();
    }
    const stats = argyle.stats.snapshot();
    expect(stats.gigFetches[id]).toBeUndefined();
    expect(stats.gigFetchAttempts[id]).toBe(1);
    expect(stats.listPages).toBe(0);
  });

  it("foreignNotFoundRate: 404 with an HTML page (a proxy's), never Argyle's JSON, on lists and gigs", async () => {
    const { argyle, id } = setup({ foreignNotFoundRate: 1 });
    for (const path of [`/v2/gigs/${id}`, "/v2/gigs"]) {
      const response = await call(argyle, path);
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await response.text()).toContain("<h1>Not Found</h1>");
    }
    expect(argyle.stats.snapshot().faults).toEqual({ foreign_not_found: 2 });
    argyle.faults.update({ foreignNotFoundRate: 0 });
    expect((await call(argyle, `/v2/gigs/${id}`)).status).toBe(200);
  });

  it("notFoundIds: 404 for those gigs only, although they exist", async () => {
    const { argyle, id, otherId } = setup({ notFoundIds: [] });
    argyle.faults.update({ notFoundIds: [id] });
    const hidden = await call(argyle, `/v2/gigs/${id}`);
    expect(hidden.status).toBe(404);
    expect(await hidden.json()).toEqual({ detail: "Not found." });
    expect((await call(argyle, `/v2/gigs/${otherId}`)).status).toBe(200);
    expect(argyle.store.gig(id)).toBeDefined();
  });

  it("authFailing: every /v2 request is 401 even with the right key", async () => {
    const { argyle, id } = setup({ authFailing: true });
    for (const path of [`/v2/gigs/${id}`, "/v2/gigs", "/v2/webhooks"]) {
      const response = await call(argyle, path);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ detail: "Invalid username/password." });
    }
  });

  it("onlyIds: random faults hit only the given gig IDs, never lists", async () => {
    const { argyle, id, otherId } = setup({ rateLimitRate: 1, onlyIds: [] });
    argyle.faults.update({ onlyIds: [id] });
    expect((await call(argyle, `/v2/gigs/${id}`)).status).toBe(429);
    expect((await call(argyle, `/v2/gigs/${otherId}`)).status).toBe(200);
    expect((await call(argyle, "/v2/gigs")).status).toBe(200);
  });

  it("latencyMs: delays every /v2 response, but not the control API", async () => {
    const { argyle, id } = setup({ latencyMs: 60 });
    let started = Date.now();
    expect((await call(argyle, `/v2/gigs/${id}`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    started = Date.now();
    expect((await call(argyle, "/v2/webhooks")).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    started = Date.now();
    await argyle.app.request("http://argyle.test/_local/stats");
    expect(Date.now() - started).toBeLessThan(50);
  });

  it("leaves the webhooks API alone, except auth and latency", async () => {
    const { argyle } = setup({ rateLimitRate: 0.5, serverErrorRate: 0.5 });
    for (let i = 0; i < 20; i++) expect((await call(argyle, "/v2/webhooks")).status).toBe(200);
  });
});

describe("PUT /_local/faults", () => {
  const put = (argyle: ReturnType<typeof localArgyle>, body: unknown) =>
    argyle.app.request("http://argyle.test/_local/faults", { method: "PUT", body: JSON.stringify(body) });

  it("replaces every knob: those left out go back to their defaults", async () => {
    const { argyle, id } = setup({ latencyMs: 40, malformedRate: 1 });
    const response = await put(argyle, { rateLimitRate: 1, retryAfterSeconds: 2 });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      rateLimitRate: 1,
      retryAfterSeconds: 2,
      latencyMs: 0,
      malformedRate: 0,
    });
    expect((await call(argyle, `/v2/gigs/${id}`)).headers.get("retry-after")).toBe("2");
    const current = await (await argyle.app.request("http://argyle.test/_local/faults")).json();
    expect(current).toMatchObject({ rateLimitRate: 1, authFailing: false, notFoundIds: [], onlyIds: null });
  });

  it("refuses invalid knobs with 400 and keeps the current ones", async () => {
    const { argyle } = setup({ rateLimitRate: 0.5 });
    for (const body of [
      { rateLimitRate: 2 },
      { rateLimitRat: 0.1 },
      { notFoundIds: ["x"] },
      { rateLimitRate: 0.6, serverErrorRate: 0.6 },
      { retryAfterFormat: "minutes" },
    ]) {
      const response = await put(argyle, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(((await response.json()) as { issues: string[] }).issues.length).toBeGreaterThan(0);
    }
    expect(argyle.faults.settings.rateLimitRate).toBe(0.5);
  });
});
