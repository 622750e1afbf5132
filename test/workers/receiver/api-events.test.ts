import { env } from "cloudflare:workers";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { newTimeOrderedId } from "../../../src/domain/ids.ts";
import type { Job } from "../../../src/domain/jobs.ts";
import type { EventSummary } from "../../../src/domain/storage/events-read.ts";
import { ArgyleIdSchema, GIG_EVENT_DATA_SCHEMAS } from "../../../src/domain/webhook-schema.ts";
import accountsFailed from "../../fixtures/webhooks/accounts.failed.json";
import removed from "../../fixtures/webhooks/gigs.removed.json";
import updated from "../../fixtures/webhooks/gigs.updated.json";
import { ACCOUNT, api, apiJson, ORIGIN } from "../api-helpers.ts";
import { clearTables, countRows, postWebhook } from "../helpers.ts";

interface EventPage {
  data: EventSummary[];
  next: string | null;
}

type EventDetail = EventSummary & { body?: string; body_base64?: string };

async function post(body: string | Uint8Array<ArrayBuffer>): Promise<string> {
  const res = await postWebhook(body);
  expect(res.status).toBe(202);
  return (await res.json<{ id: string }>()).id;
}

/** An event row received at `ms`, for tests about time (ingest stamps the real clock). */
async function insertEventAt(ms: number, fields: { event?: string; status?: string } = {}): Promise<string> {
  const id = newTimeOrderedId(ms);
  await env.DB.batch([
    env.DB.prepare(
      "INSERT OR IGNORE INTO event_bodies (sha256, body, first_received_at) VALUES ('00', x'7b7d', '2024-01-01T00:00:00Z')",
    ),
    env.DB.prepare(
      `INSERT INTO events (id, received_at, event, account, status, body_sha256, body_bytes)
       VALUES (?1, ?2, ?3, ?4, ?5, '00', 2)`,
    ).bind(id, new Date(ms).toISOString(), fields.event ?? "gigs.fully_synced", ACCOUNT, fields.status ?? "accepted"),
  ]);
  return id;
}

/** A deep copy of a fixture whose fields a test may change freely. */
function editable(payload: object): Record<string, unknown> & { data: Record<string, unknown> } {
  return structuredClone(payload) as Record<string, unknown> & { data: Record<string, unknown> };
}

beforeEach(clearTables);
afterEach(() => vi.restoreAllMocks());

describe("GET /api/events", () => {
  it("lists summaries newest first, with every column and issues parsed", async () => {
    const first = await post(JSON.stringify(updated));
    const second = await post("not json");
    const { status, body } = await apiJson<EventPage>("/api/events");
    expect(status).toBe(200);
    expect(body.next).toBeNull();
    expect(body.data.map((e) => e.id)).toEqual([first, second].sort().reverse());
    const invalid = body.data.find((e) => e.id === second);
    expect(invalid).toMatchObject({ status: "invalid", issues: [{ path: "", message: "body is not UTF-8 JSON" }] });
    const accepted = body.data.find((e) => e.id === first);
    expect(accepted).toEqual({
      id: first,
      received_at: expect.any(String),
      event: "gigs.updated",
      subscription: "name-for-the-webhook-subscription",
      account: updated.data.account,
      user: updated.data.user,
      status: "accepted",
      issues: null,
      available_count: 2385,
      item_count: 2,
      window_from: "2023-03-02T00:00:00Z",
      window_to: "2023-03-03T00:00:00Z",
      days_synced: null,
      gig_ids: 2,
      jobs: 1,
      body_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      body_bytes: JSON.stringify(updated).length,
      duplicate_of: null,
      replay_of: null,
      enqueued_at: expect.any(String),
    });
  });

  it("filters by event, account and status", async () => {
    const upd = await post(JSON.stringify(updated));
    const rem = await post(JSON.stringify(removed));
    const other = await post(JSON.stringify(accountsFailed));
    const bad = await post("{");
    const list = async (query: string) => (await apiJson<EventPage>(`/api/events?${query}`)).body.data.map((e) => e.id);
    expect(await list("event=gigs.updated")).toEqual([upd]);
    expect(await list("event=accounts.failed")).toEqual([other]);
    expect(await list("status=invalid")).toEqual([bad]);
    expect(await list("status=recorded")).toEqual([other]);
    expect((await list("status=accepted")).sort()).toEqual([upd, rem].sort());
    expect(await list(`account=${accountsFailed.data.account}&status=recorded`)).toEqual([other]);
    expect(await list("account=0187c66e-0000-811c-b006-2232f00f426a")).toEqual([]);
  });

  it("filters by since: received at or after it", async () => {
    const t = Date.parse("2024-05-01T12:00:00Z");
    const before = await insertEventAt(t - 1);
    const at = await insertEventAt(t);
    const after = await insertEventAt(t + 60_000);
    const list = async (query: string) => (await apiJson<EventPage>(`/api/events?${query}`)).body.data.map((e) => e.id);
    expect(await list("since=2024-05-01T12:00:00Z")).toEqual([after, at]);
    expect(await list("since=2024-05-01T14:00:00%2B02:00")).toEqual([after, at]);
    expect(await list("since=2024-05-01")).toEqual([after, at, before]);
  });

  it("paginates newest first with next links carrying filters and limit, none repeated or missed", async () => {
    const base = Date.parse("2024-05-01T00:00:00Z");
    const ids: string[] = [];
    for (let i = 0; i < 23; i++)
      ids.push(await insertEventAt(base + i * 1000, { status: i % 2 ? "accepted" : "invalid" }));
    const expected = ids.filter((_, i) => i % 2 === 0).reverse();
    const seen: string[] = [];
    let url: string | null = "/api/events?status=invalid&limit=5";
    while (url !== null) {
      const page: { body: EventPage } = await apiJson<EventPage>(url);
      seen.push(...page.body.data.map((e) => e.id));
      // Newer events arriving meanwhile do not disturb the walk.
      await insertEventAt(Date.now(), { status: "invalid" });
      url = page.body.next;
      if (url) expect(url).toMatch(new RegExp(`^${ORIGIN}/api/events\\?cursor=[A-Za-z0-9_-]+$`));
    }
    expect(seen).toEqual(expected);
  });

  it.each([
    ["status=weird", "status"],
    ["account=nope", "account"],
    ["since=last-tuesday", "since"],
    ["limit=0", "limit"],
    ["limit=1e9", "limit"],
    ["cursor=garbage", "cursor"],
    [`event=${"x".repeat(10_240)}`, "event"],
    [`account=${encodeURIComponent("' OR 1=1 --")}`, "account"],
  ])("answers 400 invalid_parameter for %s", async (query, field) => {
    await post(JSON.stringify(updated));
    const { status, body } = await apiJson<{ error: { code: string; message: string } }>(`/api/events?${query}`);
    expect(status).toBe(400);
    expect(body.error.code).toBe("invalid_parameter");
    expect(body.error.message.startsWith(`${field}: `)).toBe(true);
    expect(body.error.message.length).toBeLessThan(300);
    expect(await countRows("events")).toBe(1);
  });

  it("matches an injection-shaped event filter literally, and changes nothing", async () => {
    await post(JSON.stringify(updated));
    const { status, body } = await apiJson<EventPage>(`/api/events?event=${encodeURIComponent("x' OR '1'='1")}`);
    expect(status).toBe(200);
    expect(body.data).toEqual([]);
    expect(await countRows("events")).toBe(1);
  });
});

describe("GET /api/events/{id}", () => {
  it("answers the summary and the raw body as text", async () => {
    const text = JSON.stringify(updated, null, 2);
    const id = await post(text);
    const { status, body } = await apiJson<EventDetail>(`/api/events/${id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id, event: "gigs.updated", status: "accepted", body: text });
    expect(body.body_base64).toBeUndefined();
  });

  it("answers a body that is not UTF-8 as base64, byte for byte", async () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x7b, 0x00, 0x80]);
    const id = await post(bytes);
    const { body } = await apiJson<EventDetail>(`/api/events/${id}`);
    expect(body.body).toBeUndefined();
    expect(body.body_base64).toBe(btoa(String.fromCharCode(...bytes)));
    expect(body.status).toBe("invalid");
  });

  it.each([
    ["unknown", "0190c0de-0000-7000-8000-000000000000"],
    ["not an id", "nope"],
    ["injection-shaped", encodeURIComponent("' OR 1=1 --")],
  ])("answers 404 for an %s id", async (_label, id) => {
    await post(JSON.stringify(updated));
    const { status, body } = await apiJson(`/api/events/${id}`);
    expect(status).toBe(404);
    expect(body).toEqual({ error: { code: "not_found", message: expect.any(String) } });
  });
});

describe("POST /api/events/{id}/replay", () => {
  function spyOnQueue() {
    const spy = vi.spyOn(env.JOBS, "sendBatch");
    return { spy, jobs: (): Job[] => spy.mock.calls.flatMap(([messages]) => [...messages].map((m) => m.body)) };
  }

  it("processes an invalid event again once a schema fix accepts it, recorded as a replay", async () => {
    // Argyle starts sending the gig IDs as objects: today's schema refuses them, so it is kept as invalid.
    const payload = editable(updated);
    payload.data.updated_gigs = updated.data.updated_gigs.map((id) => ({ id }));
    const text = JSON.stringify(payload);
    const original = await post(text);
    expect((await apiJson<EventDetail>(`/api/events/${original}`)).body.status).toBe("invalid");

    // The fix: accept either form. Replaying runs the stored bytes through ingest again.
    const schemas = GIG_EVENT_DATA_SCHEMAS as Record<string, v.GenericSchema>;
    const strict = GIG_EVENT_DATA_SCHEMAS["gigs.updated"];
    const idOrObject = v.union([
      ArgyleIdSchema,
      v.pipe(
        v.object({ id: ArgyleIdSchema }),
        v.transform((o) => o.id),
      ),
    ]);
    schemas["gigs.updated"] = v.looseObject({ ...strict.entries, updated_gigs: v.array(idOrObject) });
    const queue = spyOnQueue();
    let res: Response;
    try {
      res = await api(`/api/events/${original}/replay`, { method: "POST" });
    } finally {
      schemas["gigs.updated"] = strict;
    }
    expect(res.status).toBe(202);
    const reply = await res.json<{ status: string; id: string; replay_of: string }>();
    expect(reply).toEqual({ status: "accepted", id: expect.any(String), replay_of: original });
    expect(reply.id).not.toBe(original);

    const replay = (await apiJson<EventDetail>(`/api/events/${reply.id}`)).body;
    expect(replay).toMatchObject({
      status: "accepted",
      replay_of: original,
      duplicate_of: null,
      event: "gigs.updated",
      gig_ids: 2,
      jobs: 1,
      body: text,
      window_from: "2023-03-02T00:00:00Z",
      enqueued_at: expect.any(String),
    });
    expect(queue.jobs()).toEqual([
      expect.objectContaining({ kind: "fetch_gigs", event_id: reply.id, ids: updated.data.updated_gigs }),
    ]);
    // The original stays as it was received; both share one stored body.
    expect((await apiJson<EventDetail>(`/api/events/${original}`)).body).toMatchObject({ status: "invalid", jobs: 0 });
    expect(await countRows("event_bodies")).toBe(1);
    expect((await apiJson<EventPage>("/api/events?status=invalid")).body.data.map((e) => e.id)).toEqual([original]);
  });

  it("replays a valid event exactly as on arrival: the same work queued again under the new event", async () => {
    const original = await post(JSON.stringify(removed));
    const queue = spyOnQueue();
    const { status, body } = await apiJson<{ id: string; status: string }>(`/api/events/${original}/replay`, {
      method: "POST",
    });
    expect(status).toBe(202);
    expect(body.status).toBe("accepted");
    expect(queue.jobs()).toEqual([
      expect.objectContaining({ kind: "remove_gigs", event_id: body.id, ids: removed.data.removed_gigs }),
    ]);
  });

  it("answers 404 for an unknown event and stores nothing", async () => {
    const queue = spyOnQueue();
    const { status, body } = await apiJson("/api/events/0190c0de-0000-7000-8000-000000000000/replay", {
      method: "POST",
    });
    expect(status).toBe(404);
    expect(body).toEqual({ error: { code: "not_found", message: expect.any(String) } });
    expect(queue.spy).not.toHaveBeenCalled();
    expect(await countRows("events")).toBe(0);
  });

  it("records the replay even when the queue refuses: 202, its work left in the outbox for the cron", async () => {
    const original = await post(JSON.stringify(updated));
    vi.spyOn(env.JOBS, "sendBatch").mockRejectedValueOnce(new Error("Queue send failed"));
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const { status, body } = await apiJson<{ id: string; replay_of: string }>(`/api/events/${original}/replay`, {
      method: "POST",
    });
    expect(status).toBe(202);
    expect(body.replay_of).toBe(original);
    const row = await env.DB.prepare("SELECT status, enqueued_at FROM events WHERE id = ?1").bind(body.id).first();
    expect(row).toEqual({ status: "accepted", enqueued_at: null });
  });

  it("answers 503 with Retry-After when D1 refuses, leaving no replay behind", async () => {
    const original = await post(JSON.stringify(updated));
    vi.spyOn(env.DB, "batch").mockRejectedValueOnce(new Error("D1_ERROR: D1 DB is overloaded."));
    const { status, body, res } = await apiJson<{ error: { code: string } }>(`/api/events/${original}/replay`, {
      method: "POST",
    });
    expect(status).toBe(503);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(body.error.code).toBe("unavailable");
    expect(await countRows("events")).toBe(1);
  });

  it("is POST only", async () => {
    const original = await post(JSON.stringify(updated));
    const { status } = await apiJson(`/api/events/${original}/replay`);
    expect(status).toBe(404);
    expect(await countRows("events")).toBe(1);
  });
});
