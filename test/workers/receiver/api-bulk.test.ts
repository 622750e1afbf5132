import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MAX_BULK_LIMIT } from "../../../src/domain/bulk-actions.ts";
import { ACCOUNT, api, fetchJob, insertFailure } from "../api-helpers.ts";
import { callReceiver, clearTables, countRows, gigsUpdatedBody, postWebhook } from "../helpers.ts";

const OTHER = "0187c66e-ffff-811c-b006-2232f00f426a";
const failureId = (n: number) => `0190c0de-0000-7000-8000-${n.toString().padStart(12, "0")}`;

interface Report {
  results: Record<string, string>[];
  next: string | null;
  stopped: string | null;
}

beforeEach(clearTables);
afterEach(() => vi.restoreAllMocks());

/** An invalid (signed, but not a valid envelope) body for `account`, distinct per `n`. */
function invalidBody(n: number, account = ACCOUNT): string {
  return JSON.stringify({
    event: "gigs.updated",
    name: `s${n}`,
    data: { account, user: "x", updated_gigs: "not-a-list" },
  });
}

async function call(
  path: string,
  body: unknown,
): Promise<{ status: number; json: Report & { error?: { code: string; message: string } } }> {
  const res = await callReceiver(
    new Request(`https://receiver.test${path}`, {
      method: "POST",
      headers: { authorization: "Bearer test-api-token", "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
  return { status: res.status, json: await res.json() };
}

describe("POST /api/events/replay", () => {
  it("replays the invalid events matching the filter, newest first, in bounded resumable batches", async () => {
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) {
      const res = await postWebhook(invalidBody(n, n === 2 ? OTHER : ACCOUNT));
      ids.push((await res.json<{ id: string; status: string }>()).id);
    }
    expect(await countRows("events")).toBe(5);
    const mine = ids.filter((_, n) => n !== 2).reverse();

    const first = await call("/api/events/replay", { filter: { account: ACCOUNT }, limit: 3 });
    expect(first.status).toBe(200);
    expect(first.json.results.map((r) => r.id)).toEqual(mine.slice(0, 3));
    expect(first.json.results.every((r) => r.status === "invalid" && r.replay_id !== r.id)).toBe(true);
    expect(first.json.next).toBe(mine[2]);
    expect(first.json.stopped).toBeNull();

    // The replays made by the first call are newer: the continuation never takes them.
    const second = await call("/api/events/replay", {
      filter: { account: ACCOUNT },
      limit: 3,
      cursor: first.json.next,
    });
    expect(second.json.results.map((r) => r.id)).toEqual(mine.slice(3));
    expect(second.json.next).toBeNull();
    expect(await countRows("events")).toBe(9);
    const replays = await env.DB.prepare(
      "SELECT replay_of FROM events WHERE replay_of IS NOT NULL ORDER BY replay_of",
    ).all();
    expect(replays.results.map((r) => r.replay_of)).toEqual([...mine].sort());
  });

  it("takes originals only, and not those whose replay was accepted", async () => {
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) ids.push((await (await postWebhook(invalidBody(n))).json<{ id: string }>()).id);
    const [fixed, failedAgain, untouched] = ids as [string, string, string];
    // Earlier replays: one accepted (fixed), one still invalid.
    const replayRow = (n: number, of: string, status: string) =>
      env.DB.prepare(
        `INSERT INTO events (id, received_at, event, account, status, body_sha256, body_bytes, replay_of)
         SELECT ?1, received_at, event, account, ?2, body_sha256, body_bytes, id FROM events WHERE id = ?3`,
      ).bind(`ffffffff-0000-7000-8000-00000000000${n}`, status, of);
    await env.DB.batch([replayRow(1, fixed, "accepted"), replayRow(2, failedAgain, "invalid")]);
    const res = await call("/api/events/replay", { filter: {} });
    expect(res.status).toBe(200);
    expect(res.json.results.map((r) => r.id)).toEqual([untouched, failedAgain]);
  });

  it("never takes more than the cap in one call", async () => {
    const res = await call("/api/events/replay", { limit: MAX_BULK_LIMIT + 1 });
    expect(res.status).toBe(400);
    expect(res.json.error?.code).toBe("invalid_body");
  });

  it("refuses a malformed body with a clear error and changes nothing", async () => {
    await postWebhook(invalidBody(1));
    for (const body of ["{", { filter: { status: "accepted" } }, { cursor: "nope" }]) {
      const res = await call("/api/events/replay", body);
      expect(res.status).toBe(400);
      expect(res.json.error?.message).toMatch(/./);
    }
    expect(await countRows("events")).toBe(1);
  });

  it("records every replay when the queue refuses (the outbox sends them later); 503 when D1 fails on the first item, and keeps what it did when a later one fails", async () => {
    // A valid gig event makes jobs (an invalid one would not touch the queue): seed invalid rows
    // whose stored bodies are valid now, as after a schema fix.
    // Three: a replayed (accepted) original is not taken again, so two remain for the last step.
    for (let n = 0; n < 3; n++) {
      const res = await postWebhook(gigsUpdatedBody([`0190000${n}-aaaa-bbbb-cccc-000000000000`]));
      const { id } = await res.json<{ id: string }>();
      await env.DB.prepare("UPDATE events SET status = 'invalid' WHERE id = ?1").bind(id).run();
    }
    // The queue is down: both replays are still recorded (202-style), their work left unsent for the cron.
    const send = vi.spyOn(env.JOBS, "sendBatch").mockRejectedValue(new Error("queue down"));
    const queued = await call("/api/events/replay", { limit: 1 });
    expect(queued.status).toBe(200);
    expect(queued.json.results).toHaveLength(1);
    expect(queued.json.stopped).toBeNull();
    expect(await countRows("events")).toBe(4);
    const unsent = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM events WHERE replay_of IS NOT NULL AND enqueued_at IS NULL",
    ).first<{ n: number }>();
    expect(unsent?.n).toBe(1);
    send.mockRestore();

    // D1 refuses the first item's write: 503, nothing recorded.
    const realBatch = env.DB.batch.bind(env.DB);
    const batch = vi.spyOn(env.DB, "batch").mockRejectedValueOnce(new Error("D1_ERROR: overloaded"));
    const failed = await call("/api/events/replay", { cursor: queued.json.next });
    expect(failed.status).toBe(503);
    expect(await countRows("events")).toBe(4);
    batch.mockRestore();

    // D1 takes the first item and refuses the second: the call keeps the first and says where to resume.
    const again = vi
      .spyOn(env.DB, "batch")
      .mockImplementationOnce((statements) => realBatch(statements))
      .mockRejectedValueOnce(new Error("D1_ERROR: overloaded"));
    const partial = await call("/api/events/replay", {});
    expect(partial.status).toBe(200);
    expect(partial.json.results).toHaveLength(1);
    expect(partial.json.stopped).toBe("unavailable");
    expect(partial.json.next).toBe(partial.json.results[0]?.id);
    again.mockRestore();
  });
});

describe("POST /api/failures/retry", () => {
  beforeEach(async () => {
    for (let n = 1; n <= 4; n++) {
      const account = n === 3 ? OTHER : ACCOUNT;
      await insertFailure({ id: failureId(n), account, job: fetchJob({ job_id: `${failureId(n)}:0`, account }) });
    }
    await insertFailure({
      id: failureId(5),
      status: "redriven",
      redriven_at: "2024-06-02T00:00:00.000Z",
      job: fetchJob({ job_id: "x:5" }),
    });
  });

  it("redrives open failures matching the filter through the single-redrive path, resumably", async () => {
    const send = vi.spyOn(env.JOBS, "sendBatch");
    const first = await call("/api/failures/retry", { filter: { account: ACCOUNT }, limit: 2 });
    expect(first.status).toBe(200);
    expect(first.json.results.map((r) => [r.id, r.outcome])).toEqual([
      [failureId(4), "redriven"],
      [failureId(2), "redriven"],
    ]);
    expect(first.json.next).toBe(failureId(2));
    const second = await call("/api/failures/retry", {
      filter: { account: ACCOUNT },
      limit: 2,
      cursor: first.json.next,
    });
    expect(second.json.results.map((r) => r.id)).toEqual([failureId(1)]);
    expect(second.json.next).toBeNull();
    expect(send).toHaveBeenCalledTimes(3);
    const open = await env.DB.prepare("SELECT id FROM failures WHERE status = 'open'").all();
    expect(open.results.map((r) => r.id)).toEqual([failureId(3)]);
  });

  it("requires the API token", async () => {
    const res = await api("/api/failures/retry", { method: "POST", headers: {} });
    expect(res.status).toBe(401);
    expect(await countRows("failures")).toBe(5);
    const open = await env.DB.prepare("SELECT COUNT(*) AS n FROM failures WHERE status = 'open'").first();
    expect(open).toEqual({ n: 4 });
  });
});
