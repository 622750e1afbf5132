import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../../src/consumer/index.ts";
import { timeOrderedIdFloor } from "../../../src/domain/ids.ts";
import { ingestWebhook } from "../../../src/domain/ingest.ts";
import type { Job } from "../../../src/domain/jobs.ts";
import updated from "../../fixtures/webhooks/gigs.updated.json";
import { clearTables, countRows } from "../helpers.ts";

const NOW = Date.now();

function bytes(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new TextEncoder().encode(text));
}
const MIN = 60_000;

async function runCron(at = NOW) {
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "*/5 * * * *" }), env);
}

/** Ingests `body` at `at` while the queue is down: the event is left in the outbox. */
async function strandEvent(at: number, body = bytes(JSON.stringify(updated))): Promise<string> {
  vi.spyOn(env.JOBS, "sendBatch").mockRejectedValueOnce(new Error("queue down"));
  vi.spyOn(console, "warn").mockImplementation(() => {});
  const result = await ingestWebhook({ db: env.DB, jobs: env.JOBS }, body, { now: new Date(at) });
  await result.settle;
  vi.restoreAllMocks();
  const row = await env.DB.prepare("SELECT id, enqueued_at FROM events WHERE id = ?1")
    .bind(result.id)
    .first<{ id: string; enqueued_at: null }>();
  expect(row?.enqueued_at).toBeNull();
  return result.id;
}

function captureSends(): Job[] {
  const sent: Job[] = [];
  vi.spyOn(env.JOBS, "sendBatch").mockImplementation(async (messages) => {
    sent.push(...[...messages].map((m) => m.body));
    return {} as QueueSendBatchResponse;
  });
  return sent;
}

beforeEach(clearTables);
afterEach(() => vi.restoreAllMocks());

describe("maintenance cron", () => {
  it("re-queues an accepted event whose jobs never reached the queue, with the same job ids", async () => {
    const id = await strandEvent(NOW - 10 * MIN);
    const sent = captureSends();
    await runCron();
    expect(sent).toEqual([
      expect.objectContaining({ kind: "fetch_gigs", job_id: `${id}:0`, ids: updated.data.updated_gigs }),
    ]);
    expect((await env.DB.prepare("SELECT enqueued_at FROM events").first())?.enqueued_at).toEqual(expect.any(String));
    sent.length = 0;
    await runCron();
    expect(sent).toEqual([]);
  });

  it("leaves events younger than a minute to the receiver", async () => {
    await strandEvent(NOW - 30_000);
    const sent = captureSends();
    await runCron();
    expect(sent).toEqual([]);
  });

  it("revives a backfill pass with no checkpoint for 15 minutes, from its checkpoint", async () => {
    const account = "0187c66e-e7e5-811c-b006-2232f00f426a";
    const cursor = "https://argyle.test/v2/gigs?cursor=abc";
    await env.DB.prepare(
      `INSERT INTO accounts (id, user, backfill_status, backfill_pass, backfill_cursor, backfill_started_ms, backfill_progress_ms)
       VALUES (?1, NULL, 'running', 'evt-9:0', ?2, ?3, ?3)`,
    )
      .bind(account, cursor, NOW - 20 * MIN)
      .run();
    const sent = captureSends();
    await runCron();
    expect(sent).toEqual([expect.objectContaining({ kind: "backfill", account, pass: "evt-9:0", cursor })]);
    // Not revived again on the next run: the cron noted its message as sent (due) now.
    sent.length = 0;
    await runCron(NOW + 5 * MIN);
    expect(sent).toEqual([]);
  });

  it("prunes events and bodies older than EVENT_RETENTION_DAYS, keeping newer ones", async () => {
    const old = new Date(NOW - 31 * 86_400_000);
    vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue({} as QueueSendBatchResponse);
    const deps = { db: env.DB, jobs: env.JOBS };
    await ingestWebhook(deps, bytes('{"event":"accounts.updated","name":"a","data":{}}'), {
      now: old,
    });
    await ingestWebhook(deps, bytes('{"event":"accounts.updated","name":"b","data":{}}'), {
      now: new Date(NOW - MIN),
    });
    // Bodies are dated by first arrival: make the old one old.
    await env.DB.prepare(
      "UPDATE event_bodies SET first_received_at = ?1 WHERE sha256 = (SELECT body_sha256 FROM events WHERE id < ?2)",
    )
      .bind(old.toISOString(), timeOrderedIdFloor(NOW - 86_400_000))
      .run();
    await runCron();
    expect(await countRows("events")).toBe(1);
    expect(await countRows("event_bodies")).toBe(1);
  });
});
