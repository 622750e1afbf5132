/**
 * The receiver as a transactional outbox: the 202 stands on one D1 commit (event, body and the
 * plan of its jobs); the queue send follows in waitUntil, and the consumer's cron sends whatever
 * is left. Only D1 failing gets a 503.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runMaintenance, SWEEP_GRACE_MS } from "../../../src/consumer/maintenance.ts";
import type { Job } from "../../../src/domain/jobs.ts";
import { signBody } from "../../../src/domain/signature.ts";
import app from "../../../src/receiver/index.ts";
import updated from "../../fixtures/webhooks/gigs.updated.json";
import { api } from "../api-helpers.ts";
import { clearTables, countRows, postWebhook, SECRET, WEBHOOK_URL } from "../helpers.ts";

beforeEach(async () => {
  await clearTables();
  vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

async function eventRow(id: string) {
  return env.DB.prepare("SELECT * FROM events WHERE id = ?").bind(id).first<Record<string, unknown>>();
}

/** Runs the consumer's cron as it would run `minutes` from now (past the sweep's grace). */
async function runCron(minutes = 2) {
  return runMaintenance(env, Date.now() + minutes * 60_000);
}

/** A queue that accepts: what it was given, in order. */
function workingQueue(): Job[] {
  const sent: Job[] = [];
  vi.spyOn(env.JOBS, "sendBatch").mockImplementation(async (messages) => {
    sent.push(...[...messages].map((m) => m.body));
    return {} as QueueSendBatchResponse;
  });
  return sent;
}

describe("the queue failing never costs a webhook", () => {
  it("answers 202 with the queue down; the next cron run sends the event's jobs, once", async () => {
    const send = vi.spyOn(env.JOBS, "sendBatch").mockRejectedValue(new Error("Queue send failed"));
    const res = await postWebhook(JSON.stringify(updated));
    expect(res.status).toBe(202);
    const { id, status } = await res.json<{ id: string; status: string }>();
    expect(status).toBe("accepted");
    expect(send).toHaveBeenCalled();
    expect(await eventRow(id)).toMatchObject({ status: "accepted", enqueued_at: null });

    send.mockRestore();
    const sent = workingQueue();
    const summary = await runCron();
    expect(summary.requeuedEvents).toBe(1);
    expect(sent).toEqual([
      expect.objectContaining({
        kind: "fetch_gigs",
        job_id: `${id}:0`,
        event_id: id,
        ids: updated.data.updated_gigs,
        received_at: (await eventRow(id))?.received_at,
      }),
    ]);
    expect((await eventRow(id))?.enqueued_at).toEqual(expect.any(String));
    sent.length = 0;
    await runCron(3);
    expect(sent).toEqual([]);
  });

  it("answers after one D1 round trip: a queue that never answers does not hold the 202", async () => {
    const batch = vi.spyOn(env.DB, "batch");
    const prepare = vi.spyOn(env.DB, "prepare");
    const send = vi.spyOn(env.JOBS, "sendBatch").mockImplementation(() => new Promise(() => {}));
    const body = new TextEncoder().encode(JSON.stringify(updated));
    const request = new Request(WEBHOOK_URL, {
      method: "POST",
      body,
      headers: { "x-argyle-signature": await signBody(SECRET, body) },
    });
    // The waitUntil work is left hanging on purpose: only what happens before the answer counts.
    const answered = app.fetch(request, env, createExecutionContext());
    const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 3_000));
    const res = await Promise.race([answered, timeout]);
    expect(res).not.toBe("timeout");
    expect((res as Response).status).toBe(202);
    // Remote calls made before the answer: the one D1 batch. The send was started, not awaited.
    expect(batch).toHaveBeenCalledTimes(1);
    expect(prepare.mock.calls.map(([sql]) => sql).filter((sql) => !/^\s*(INSERT)/.test(sql))).toEqual([]);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("keeps an event whose D1 commit lost its answer: 503, its work swept, a redelivery is its duplicate", async () => {
    const real = env.DB.batch.bind(env.DB);
    vi.spyOn(env.DB, "batch").mockImplementationOnce(async (statements) => {
      await real(statements);
      throw new Error("D1_ERROR: Network connection lost.");
    });
    const sent = workingQueue();
    const body = JSON.stringify(updated);
    const res = await postWebhook(body);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(sent).toEqual([]);
    const kept = await env.DB.prepare("SELECT id, enqueued_at FROM events").first<{ id: string }>();
    expect(kept).toEqual({ id: expect.any(String), enqueued_at: null });

    // Should Argyle redeliver, the copy is filed as a duplicate and queued (a harmless repeat).
    const retry = await postWebhook(body);
    expect(retry.status).toBe(202);
    expect(await retry.json()).toMatchObject({ duplicate_of: kept?.id });
    // Should it not, the cron sends the kept event's work: nothing depends on a redelivery.
    sent.length = 0;
    await runCron();
    expect(sent.map((job) => job.job_id)).toEqual([`${kept?.id}:0`]);
  });

  it("answers 503 and records nothing when D1 refuses the write", async () => {
    vi.spyOn(env.DB, "batch").mockRejectedValueOnce(new Error("D1_ERROR: D1 DB is overloaded."));
    const sent = workingQueue();
    const res = await postWebhook(JSON.stringify(updated));
    expect(res.status).toBe(503);
    expect(await countRows("events")).toBe(0);
    expect(await countRows("event_bodies")).toBe(0);
    await runCron();
    expect(sent).toEqual([]);
  });

  it("leaves an event younger than the grace period to the receiver's own send", async () => {
    vi.spyOn(env.JOBS, "sendBatch").mockRejectedValueOnce(new Error("Queue send failed"));
    await postWebhook(JSON.stringify(updated));
    const sent = workingQueue();
    await runMaintenance(env, Date.now() + SWEEP_GRACE_MS / 2);
    expect(sent).toEqual([]);
    await runMaintenance(env, Date.now() + SWEEP_GRACE_MS + 1_000);
    expect(sent).toHaveLength(1);
  });

  it("a replay with the queue down is swept too, dated by the original's arrival", async () => {
    workingQueue();
    const original = await (await postWebhook(JSON.stringify(updated))).json<{ id: string }>();
    const arrived = (await eventRow(original.id))?.received_at;
    vi.restoreAllMocks();
    vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.spyOn(env.JOBS, "sendBatch").mockRejectedValue(new Error("Queue send failed"));
    const res = await api(`/api/events/${original.id}/replay`, { method: "POST" });
    expect(res.status).toBe(202);
    const replay = await res.json<{ id: string }>();
    expect(await eventRow(replay.id)).toMatchObject({ replay_of: original.id, arrived_at: arrived, enqueued_at: null });

    vi.restoreAllMocks();
    const sent = workingQueue();
    await runCron();
    expect(sent).toEqual([expect.objectContaining({ job_id: `${replay.id}:0`, received_at: arrived })]);
  });
});
