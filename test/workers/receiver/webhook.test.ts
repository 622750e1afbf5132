import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Job } from "../../../src/domain/jobs.ts";
import { NEWEST_MIGRATION } from "../../../src/domain/schema-version.ts";
import accountsFailed from "../../fixtures/webhooks/accounts.failed.json";
import added from "../../fixtures/webhooks/gigs.added.json";
import fullySynced from "../../fixtures/webhooks/gigs.fully_synced.json";
import partiallySynced from "../../fixtures/webhooks/gigs.partially_synced.json";
import removed from "../../fixtures/webhooks/gigs.removed.json";
import updated from "../../fixtures/webhooks/gigs.updated.json";
import { callReceiver, clearTables, countRows, gigIds, gigsUpdatedBody, postWebhook, WEBHOOK_URL } from "../helpers.ts";

/** Every message the receiver put on the queue during a test, in order. */
function spyOnQueue() {
  const spy = vi.spyOn(env.JOBS, "sendBatch");
  return {
    spy,
    jobs: (): Job[] => spy.mock.calls.flatMap(([messages]) => [...messages].map((m) => m.body)),
  };
}

async function eventRow(id: string) {
  return env.DB.prepare("SELECT * FROM events WHERE id = ?").bind(id).first<Record<string, unknown>>();
}

/** A deep copy of a fixture whose fields a test may change freely. */
function editable(payload: object): Record<string, unknown> & { data: Record<string, unknown> } {
  return structuredClone(payload) as Record<string, unknown> & { data: Record<string, unknown> };
}

beforeEach(clearTables);
afterEach(() => vi.restoreAllMocks());

describe("POST /webhooks/argyle with Argyle's documented payloads", () => {
  it("gigs.updated: records the event and queues a fetch of exactly its gig IDs", async () => {
    const queue = spyOnQueue();
    const res = await postWebhook(JSON.stringify(updated));
    expect(res.status).toBe(202);
    const body = await res.json<{ status: string; id: string }>();
    expect(body.status).toBe("accepted");
    const [job, ...rest] = queue.jobs();
    expect(rest).toEqual([]);
    expect(job).toMatchObject({
      v: 1,
      kind: "fetch_gigs",
      event_id: body.id,
      account: updated.data.account,
      user: updated.data.user,
      ids: updated.data.updated_gigs,
    });
    const row = await eventRow(body.id);
    expect(row).toMatchObject({
      event: "gigs.updated",
      subscription: "name-for-the-webhook-subscription",
      account: updated.data.account,
      user: updated.data.user,
      status: "accepted",
      available_count: 2385,
      item_count: 2,
      window_from: "2023-03-02T00:00:00Z",
      window_to: "2023-03-03T00:00:00Z",
      gig_ids: 2,
      jobs: 1,
      duplicate_of: null,
    });
    expect(row?.enqueued_at).toEqual(expect.any(String));
    expect(row?.received_at).toBe(job?.received_at);
  });

  it("gigs.removed: queues a tombstone job for its IDs, no fetch", async () => {
    const queue = spyOnQueue();
    const res = await postWebhook(JSON.stringify(removed));
    expect(res.status).toBe(202);
    expect(queue.jobs()).toEqual([expect.objectContaining({ kind: "remove_gigs", ids: removed.data.removed_gigs })]);
  });

  it("gigs.added: queues a listing of the account's gigs in the added window, widened by an hour", async () => {
    const queue = spyOnQueue();
    const res = await postWebhook(JSON.stringify(added));
    expect(res.status).toBe(202);
    expect(queue.jobs()).toEqual([
      expect.objectContaining({
        kind: "list_window",
        account: added.data.account,
        from: "2023-03-01T23:00:00.000Z",
        to: "2023-03-03T01:00:00.000Z",
        expected: 6,
        cursor: null,
      }),
    ]);
  });

  it.each([
    ["gigs.partially_synced", partiallySynced],
    ["gigs.fully_synced", fullySynced],
  ])("%s: queues a backfill of the account", async (_name, payload) => {
    const queue = spyOnQueue();
    const res = await postWebhook(JSON.stringify(payload));
    expect(res.status).toBe(202);
    expect(queue.jobs()).toEqual([
      expect.objectContaining({ kind: "backfill", account: payload.data.account, pass: null, cursor: null }),
    ]);
  });

  it("keeps days_synced for a partial sync", async () => {
    const res = await postWebhook(JSON.stringify(partiallySynced));
    const { id } = await res.json<{ id: string }>();
    expect(await eventRow(id)).toMatchObject({ days_synced: 60, available_count: 132 });
  });

  it("records other Argyle events without queueing work", async () => {
    const queue = spyOnQueue();
    const res = await postWebhook(JSON.stringify(accountsFailed));
    expect(res.status).toBe(202);
    const { status, id } = await res.json<{ status: string; id: string }>();
    expect(status).toBe("recorded");
    expect(queue.spy).not.toHaveBeenCalled();
    expect(await eventRow(id)).toMatchObject({
      event: "accounts.failed",
      status: "recorded",
      account: accountsFailed.data.account,
    });
  });
});

describe("leniency where Argyle is loose", () => {
  it("accepts counts as numeric strings, unknown fields, and nulls in informational fields", async () => {
    const payload = editable(updated);
    payload.data.available_count = "2385";
    payload.data.updated_count = "2";
    payload.data.available_from = null;
    payload.data.something_new = { nested: true };
    payload.extra_envelope_field = 1;
    const res = await postWebhook(JSON.stringify(payload));
    const { status, id } = await res.json<{ status: string; id: string }>();
    expect(status).toBe("accepted");
    expect(await eventRow(id)).toMatchObject({ available_count: 2385, item_count: 2 });
  });

  it("accepts Argyle IDs whose version and variant bits are not RFC 4122's", async () => {
    const ids = ["018051aa-f7a9-a0db-2f38-6cfa325e9d69", "FFFFFFFF-0000-0000-0000-000000000000"];
    const queue = spyOnQueue();
    const res = await postWebhook(gigsUpdatedBody(ids));
    expect((await res.json<{ status: string }>()).status).toBe("accepted");
    // Queued lowercase, as every stored ID is (issue 10, defect 6).
    expect(queue.jobs()[0]).toMatchObject({ ids: ids.map((id) => id.toLowerCase()) });
  });

  it("falls back to a backfill when gigs.added omits its window", async () => {
    const payload = editable(added);
    delete payload.data.added_from;
    const queue = spyOnQueue();
    await postWebhook(JSON.stringify(payload));
    expect(queue.jobs()).toEqual([expect.objectContaining({ kind: "backfill" })]);
  });
});

describe("signed but unusable bodies are recorded as invalid, never lost", () => {
  it("records a body that is not JSON", async () => {
    const queue = spyOnQueue();
    const res = await postWebhook("not json at all");
    expect(res.status).toBe(202);
    const { status, id } = await res.json<{ status: string; id: string }>();
    expect(status).toBe("invalid");
    expect(queue.spy).not.toHaveBeenCalled();
    const row = await eventRow(id);
    expect(JSON.parse(String(row?.issues))).toEqual([{ path: "", message: "body is not UTF-8 JSON" }]);
    const stored = await env.DB.prepare("SELECT body FROM event_bodies WHERE sha256 = ?")
      .bind(row?.body_sha256)
      .first();
    expect(new TextDecoder().decode(new Uint8Array(stored?.body as ArrayBuffer))).toBe("not json at all");
  });

  it("records a gig event that fails the schema, with the failing paths", async () => {
    const payload = editable(updated);
    payload.data.updated_gigs = ["not-an-id", 42];
    delete payload.data.user;
    const res = await postWebhook(JSON.stringify(payload));
    const { status, id } = await res.json<{ status: string; id: string }>();
    expect(status).toBe("invalid");
    const row = await eventRow(id);
    expect(row).toMatchObject({ event: "gigs.updated", account: updated.data.account, jobs: 0 });
    const paths = (JSON.parse(String(row?.issues)) as { path: string }[]).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["data.updated_gigs.0", "data.updated_gigs.1", "data.user"]));
  });

  it("never lets an informational field in an unexpected shape stop the work", async () => {
    const queue = spyOnQueue();
    const payload = editable(updated);
    payload.data.available_count = -1;
    payload.data.updated_count = "two";
    payload.data.updated_from = "last tuesday";
    payload.data.available_to = "2023-03-03"; // a date without a time still reads as one
    const res = await postWebhook(JSON.stringify(payload));
    const { status, id } = await res.json<{ status: string; id: string }>();
    expect(status).toBe("accepted");
    expect(await eventRow(id)).toMatchObject({ available_count: null, item_count: null, window_from: null });
    expect(queue.jobs()).toEqual([expect.objectContaining({ ids: updated.data.updated_gigs })]);
  });

  it("records an envelope without an event name", async () => {
    const res = await postWebhook(JSON.stringify({ name: "x", data: {} }));
    expect((await res.json<{ status: string }>()).status).toBe("invalid");
  });
});

describe("signature checks", () => {
  it("rejects a missing signature with 401 and stores nothing", async () => {
    const res = await postWebhook(JSON.stringify(updated), { signature: null });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: "missing_signature", message: expect.any(String) } });
    expect(await countRows("events")).toBe(0);
  });

  it("rejects a tampered body with 401 and stores nothing", async () => {
    const queue = spyOnQueue();
    const good = JSON.stringify(updated);
    const { signBody } = await import("../../../src/domain/signature.ts");
    const signature = await signBody("test-webhook-secret", good);
    const res = await postWebhook(good.replace("2385", "2386"), { signature });
    expect(res.status).toBe(401);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("invalid_signature");
    expect(await countRows("events")).toBe(0);
    expect(await countRows("event_bodies")).toBe(0);
    expect(queue.spy).not.toHaveBeenCalled();
  });

  it("rejects a body signed with another secret", async () => {
    const res = await postWebhook(JSON.stringify(updated), { secret: "someone-else" });
    expect(res.status).toBe(401);
  });

  it("accepts upper-case hex", async () => {
    const { signBody } = await import("../../../src/domain/signature.ts");
    const body = JSON.stringify(updated);
    const res = await postWebhook(body, { signature: (await signBody("test-webhook-secret", body)).toUpperCase() });
    expect(res.status).toBe(202);
  });

  it("accepts both secrets during a rotation, and only those", async () => {
    const rotation = { ARGYLE_WEBHOOK_SECRET: "new-secret", ARGYLE_WEBHOOK_SECRET_PREVIOUS: "old-secret" };
    const body = JSON.stringify(updated);
    expect((await postWebhook(body, { secret: "old-secret", env: rotation })).status).toBe(202);
    expect((await postWebhook(body, { secret: "new-secret", env: rotation })).status).toBe(202);
    expect((await postWebhook(body, { secret: "test-webhook-secret", env: rotation })).status).toBe(401);
  });

  it.each([
    ["unset", undefined],
    ["empty", ""],
  ])("refuses every webhook with 500 not_configured when the secret is %s", async (_label, secret) => {
    const res = await postWebhook(JSON.stringify(updated), { env: { ARGYLE_WEBHOOK_SECRET: secret } });
    expect(res.status).toBe(500);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("not_configured");
    expect(await countRows("events")).toBe(0);
  });

  it("does not accept the previous secret alone (no current secret = not configured)", async () => {
    const res = await postWebhook(JSON.stringify(updated), {
      secret: "old",
      env: { ARGYLE_WEBHOOK_SECRET: undefined, ARGYLE_WEBHOOK_SECRET_PREVIOUS: "old" },
    });
    expect(res.status).toBe(500);
  });
});

describe("source IP allow-list (ARGYLE_SOURCE_IPS)", () => {
  const allow = { ARGYLE_SOURCE_IPS: "34.27.251.226, 35.188.163.0/24" };

  it("admits listed addresses and ranges", async () => {
    for (const ip of ["34.27.251.226", "35.188.163.115"]) {
      const res = await postWebhook(JSON.stringify(updated), { env: allow, headers: { "cf-connecting-ip": ip } });
      expect(res.status).toBe(202);
    }
  });

  it("refuses other and unknown sources with 403 before reading the body", async () => {
    const res = await postWebhook(JSON.stringify(updated), { env: allow, headers: { "cf-connecting-ip": "1.2.3.4" } });
    expect(res.status).toBe(403);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("forbidden");
    expect((await postWebhook(JSON.stringify(updated), { env: allow })).status).toBe(403);
    expect(await countRows("events")).toBe(0);
  });

  it("treats a malformed allow-list as a configuration error", async () => {
    const res = await postWebhook(JSON.stringify(updated), {
      env: { ARGYLE_SOURCE_IPS: "not-an-ip" },
      headers: { "cf-connecting-ip": "1.2.3.4" },
    });
    expect(res.status).toBe(500);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("not_configured");
  });
});

describe("body size limit (MAX_BODY_BYTES)", () => {
  it("answers 413 from Content-Length without storing", async () => {
    const body = gigsUpdatedBody(gigIds(50));
    const res = await postWebhook(body, { env: { MAX_BODY_BYTES: String(body.length - 1) } });
    expect(res.status).toBe(413);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("payload_too_large");
    expect(await countRows("events")).toBe(0);
  });

  it("accepts a body exactly at the limit", async () => {
    const body = gigsUpdatedBody(gigIds(50));
    expect((await postWebhook(body, { env: { MAX_BODY_BYTES: String(body.length) } })).status).toBe(202);
  });

  it("answers 413 for a streamed body without a length, stopping at the cap", async () => {
    const chunk = new TextEncoder().encode("x".repeat(1024));
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 10_000) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const request = new Request(WEBHOOK_URL, {
      method: "POST",
      body: stream,
      headers: { "x-argyle-signature": "ab".repeat(64), "transfer-encoding": "chunked" },
      duplex: "half",
    } as RequestInit);
    const res = await callReceiver(request, { MAX_BODY_BYTES: "65536" });
    expect(res.status).toBe(413);
    // The reader stopped shortly after 64 KiB: the ~10 MB stream was never buffered.
    expect(pulled).toBeLessThan(70);
    expect(await countRows("events")).toBe(0);
  });

  it("rejects a nonsensical MAX_BODY_BYTES as a configuration error", async () => {
    const res = await postWebhook("{}", { env: { MAX_BODY_BYTES: "lots" } });
    expect(res.status).toBe(500);
  });

  it("refuses a MAX_BODY_BYTES that D1 could not store, saying why, and stores nothing", async () => {
    // A 2 MB limit would accept bodies whose every write then fails: a 503 for a signed webhook.
    const res = await postWebhook(JSON.stringify(updated), { env: { MAX_BODY_BYTES: "2000000" } });
    expect(res.status).toBe(500);
    const { error } = await res.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe("not_configured");
    expect(error.message).toMatch(/MAX_BODY_BYTES .*1900000.*D1/);
    expect(await countRows("events")).toBe(0);
    expect((await postWebhook(JSON.stringify(updated), { env: { MAX_BODY_BYTES: "1900000" } })).status).toBe(202);
  });
});

describe("duplicates", () => {
  it("records an identical body again as a duplicate of the first, and still queues its work", async () => {
    const queue = spyOnQueue();
    const body = JSON.stringify(updated);
    const first = await (await postWebhook(body)).json<{ id: string }>();
    const secondRes = await postWebhook(body);
    const second = await secondRes.json<{ id: string; duplicate_of: string; status: string }>();
    expect(second).toEqual({ status: "accepted", id: expect.any(String), duplicate_of: first.id });
    expect(second.id).not.toBe(first.id);
    expect(await eventRow(second.id)).toMatchObject({ duplicate_of: first.id });
    expect(await countRows("event_bodies")).toBe(1);
    expect(queue.jobs().map((j) => j.event_id)).toEqual([first.id, second.id]);
  });
});

describe("large payloads", () => {
  it("accepts 10,000 IDs in one request and queues each exactly once within Queue limits", async () => {
    const queue = spyOnQueue();
    const ids = gigIds(10_000);
    const body = gigsUpdatedBody([...ids, ...ids.slice(0, 100)]); // Argyle repeating IDs must not double-queue
    const res = await postWebhook(body);
    expect(res.status).toBe(202);
    const queued = queue.jobs().flatMap((j) => (j.kind === "fetch_gigs" ? j.ids : []));
    expect(queued.length).toBe(10_000);
    expect(new Set(queued)).toEqual(new Set(ids));
    const encoder = new TextEncoder();
    for (const [messages] of queue.spy.mock.calls) {
      const list = [...messages];
      expect(list.length).toBeLessThanOrEqual(100);
      const sizes = list.map((m) => encoder.encode(JSON.stringify(m.body)).byteLength);
      expect(Math.max(...sizes)).toBeLessThan(128_000);
      expect(sizes.reduce((a, b) => a + b + 100, 0)).toBeLessThanOrEqual(256_000);
    }
    const { id } = await res.json<{ id: string }>();
    expect(await eventRow(id)).toMatchObject({ gig_ids: 10_000, jobs: queue.jobs().length });
  });
});

describe("infrastructure faults", () => {
  it("answers 503 with Retry-After when D1 fails, and records and queues nothing", async () => {
    const queue = spyOnQueue();
    vi.spyOn(env.DB, "batch").mockRejectedValueOnce(new Error("D1_ERROR: Network connection lost."));
    const res = await postWebhook(JSON.stringify(updated));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await res.json<{ error: { code: string; message: string } }>()).error).toEqual({
      code: "unavailable",
      message: expect.not.stringContaining("D1"),
    });
    expect(queue.spy).not.toHaveBeenCalled();
    expect(await countRows("events")).toBe(0);
  });
  // The outbox's other faults (queue down, answer lost after commit) are in outbox.test.ts.
});

describe("other routes", () => {
  it("answers 405 with Allow for other methods on the webhook path", async () => {
    const res = await callReceiver(new Request(WEBHOOK_URL, { method: "GET" }));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("method_not_allowed");
  });

  it("answers JSON 404 for unknown routes", async () => {
    const res = await callReceiver(new Request("https://receiver.test/nope"));
    expect(res.status).toBe(404);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("not_found");
  });

  it("GET /health answers ok after a D1 round trip, 503 when D1 fails", async () => {
    const ok = await callReceiver(new Request("https://receiver.test/health"));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: "ok", migration: NEWEST_MIGRATION }); // plus the alert summary: api-alerts.test.ts
    vi.spyOn(env.DB, "prepare").mockImplementationOnce(() => {
      throw new Error("D1 down");
    });
    const down = await callReceiver(new Request("https://receiver.test/health"));
    expect(down.status).toBe(503);
  });
});

describe("logging", () => {
  it("writes one JSON line per delivery with no secret, signature or body", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    vi.spyOn(console, "log").mockImplementation(capture);
    vi.spyOn(console, "warn").mockImplementation(capture);
    vi.spyOn(console, "error").mockImplementation(capture);
    const { signBody } = await import("../../../src/domain/signature.ts");
    const body = JSON.stringify(updated);
    const signature = await signBody("test-webhook-secret", body);
    await postWebhook(body);
    await postWebhook(body, { signature: signature.replace(/^../, "00") });
    expect(lines.length).toBe(2);
    const [accepted, rejected] = lines.map((l) => JSON.parse(l));
    expect(accepted).toMatchObject({ msg: "webhook", event: "gigs.updated", status: "accepted", http_status: 202 });
    expect(accepted).toMatchObject({ account: updated.data.account, bytes: body.length, ms: expect.any(Number) });
    expect(rejected).toMatchObject({ msg: "webhook", status: "rejected", http_status: 401 });
    const all = lines.join("\n");
    for (const secret of [
      "test-webhook-secret",
      signature,
      signature.slice(2),
      updated.data.updated_gigs[0] as string,
    ]) {
      expect(all).not.toContain(secret);
    }
  });
});
