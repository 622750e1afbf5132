/**
 * What the cron costs, now that it runs every minute: every query it runs reads through an index,
 * a run with nothing to do reads O(1) rows however large the tables are, and the outbox sweeper
 * holds one raw body in memory at a time.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../../src/consumer/index.ts";
import { outboxSweepLimits, runMaintenance } from "../../../src/consumer/maintenance.ts";
import { newTimeOrderedId } from "../../../src/domain/ids.ts";
import { ingestWebhook } from "../../../src/domain/ingest.ts";
import type { Job } from "../../../src/domain/jobs.ts";
import { clearTables, gigIds, gigsUpdatedBody } from "../helpers.ts";
import { captureStatements, fullTableScans, plannable, planOf, rowsReadBy } from "../statement-plans.ts";

const NOW = Date.now();
const MIN = 60_000;
const DAY = 86_400_000;
const encoder = new TextEncoder();

function bytes(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(encoder.encode(text));
}

/** Records `body` at `at` with the queue down, so it stays in the outbox. */
async function strand(body: string, at: number): Promise<string> {
  const send = vi.spyOn(env.JOBS, "sendBatch").mockRejectedValueOnce(new Error("queue down"));
  const result = await ingestWebhook({ db: env.DB, jobs: env.JOBS }, bytes(body), { now: new Date(at) });
  await result.settle;
  send.mockRestore();
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

/** `n` sent events with distinct bodies, all inside the retention: a busy table with nothing to do. */
async function seedIdleEvents(n: number): Promise<void> {
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < n; i++) {
    const at = NOW - DAY + i * 1000;
    const sha = i.toString(16).padStart(64, "0");
    const iso = new Date(at).toISOString();
    statements.push(
      env.DB.prepare("INSERT INTO event_bodies (sha256, body, first_received_at) VALUES (?1, ?2, ?3)").bind(
        sha,
        bytes(gigsUpdatedBody(gigIds(1))),
        iso,
      ),
      env.DB.prepare(
        `INSERT INTO events (id, received_at, arrived_at, event, status, body_sha256, body_bytes, jobs, enqueued_at)
         VALUES (?1, ?2, ?2, 'gigs.updated', 'accepted', ?3, 100, 1, ?2)`,
      ).bind(newTimeOrderedId(at), iso, sha),
    );
  }
  for (let i = 0; i < statements.length; i += 1000) await env.DB.batch(statements.slice(i, i + 1000));
}

beforeEach(async () => {
  await clearTables();
  vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

describe("an idle cron run", () => {
  it("reads O(1) rows with 3,000 events in the tables, and logs what it read", async () => {
    await seedIdleEvents(3_000);
    captureSends();
    let summary: Awaited<ReturnType<typeof runMaintenance>> | undefined;
    const read = await rowsReadBy(async () => {
      summary = await runMaintenance(env, NOW);
    });
    // Before migration 0004 this run read 6,000 rows: every accepted event, then every body. The
    // run is the whole scheduled handler (lifecycle steps and alerts too): cron-idle.test.ts holds
    // it to a constant with accounts and history as well.
    expect(read).toBeLessThanOrEqual(30);
    expect(summary).toMatchObject({ requeuedEvents: 0, revivedBackfills: 0, prunedEvents: 0 });
    // `read` is the catalog's; the log line's total adds each gig shard's idle reads.
    expect(summary?.rowsReadByDatabase.DB).toBe(read);
    expect(summary?.rowsReadByStep["send the outbox"]).toBeLessThanOrEqual(2);
  });
});

describe("every cron query reads through an index", () => {
  it("with something for each step to do: the outbox, a stalled backfill, old events and attempts", async () => {
    const oldAt = NOW - 40 * DAY;
    await strand(gigsUpdatedBody(gigIds(1, "0a01")), oldAt);
    await strand(gigsUpdatedBody(gigIds(2, "0a02")), NOW - 10 * MIN);
    await env.DB.prepare(
      `INSERT INTO accounts (id, backfill_status, backfill_pass, backfill_started_ms, backfill_progress_ms)
       VALUES ('0187c66e-e7e5-811c-b006-2232f00f426a', 'running', 'evt:0', ?1, ?1)`,
    )
      .bind(NOW - 20 * MIN)
      .run();
    await env.DB.prepare(
      "INSERT INTO job_attempts (job_id, attempts, reason, last_error, updated_at) VALUES ('j', 1, 'transient', 'x', ?1)",
    )
      .bind(new Date(oldAt).toISOString())
      .run();
    captureSends();
    let summary: Awaited<ReturnType<typeof runMaintenance>> | undefined;
    const statements = plannable(
      await captureStatements(async () => {
        summary = await runMaintenance(env, NOW);
      }),
    );
    expect(summary).toMatchObject({ requeuedEvents: 2, revivedBackfills: 1, prunedEvents: 1 });
    const plans = await Promise.all(statements.map(async (s) => ({ sql: s.sql, plan: await planOf(s) })));
    for (const { sql, plan } of plans) expect({ sql, scans: fullTableScans(plan) }).toEqual({ sql, scans: [] });
    const all = plans.map((p) => p.plan.join("\n")).join("\n");
    expect(all).toMatch(/USING (COVERING )?INDEX events_not_enqueued/);
    expect(all).toMatch(/USING (COVERING )?INDEX job_attempts_by_updated/);
    expect(all).toMatch(/USING (COVERING )?INDEX accounts_by_backfill/);
  });
});

describe("the outbox sweeper's memory", () => {
  // Slow locally (local D1 passes BLOBs as arrays of numbers, several MB each: the very reason
  // to hold one at a time), but the case the limit is about.
  it("sends 25 stranded 1 MiB bodies in one run, loading one body per query", async () => {
    // Each body is a valid gigs.updated padded with an unknown field, as Argyle may add fields.
    const pad = "x".repeat(1_048_576 - 600);
    const ids: string[] = [];
    const statements: D1PreparedStatement[] = [];
    for (let i = 0; i < 25; i++) {
      const body = JSON.parse(gigsUpdatedBody(gigIds(1, `0b${i.toString(16).padStart(2, "0")}`))) as object;
      const at = NOW - 10 * MIN + i;
      const id = newTimeOrderedId(at);
      const sha = i.toString(16).padStart(64, "0");
      const iso = new Date(at).toISOString();
      ids.push(id);
      // Written as ingest writes them with the queue down (ingest itself is tested elsewhere).
      statements.push(
        env.DB.prepare("INSERT INTO event_bodies (sha256, body, first_received_at) VALUES (?1, ?2, ?3)").bind(
          sha,
          bytes(JSON.stringify({ ...body, padding: pad })),
          iso,
        ),
        env.DB.prepare(
          `INSERT INTO events (id, received_at, arrived_at, event, status, body_sha256, body_bytes, jobs)
           VALUES (?1, ?2, ?2, 'gigs.updated', 'accepted', ?3, 1048576, 1)`,
        ).bind(id, iso, sha),
      );
    }
    await env.DB.batch(statements);
    const sent = captureSends();
    const run = await captureStatements(() => runMaintenance(env, NOW));
    expect(sent.map((job) => job.event_id)).toEqual(ids);
    const bodyReads = run.filter((s) => /\bbody\b/.test(s.sql.split(/\bFROM\b/)[0] ?? ""));
    // One body per statement, by its key: never a statement returning many bodies at once.
    expect(bodyReads).toHaveLength(25);
    for (const read of bodyReads) expect(read.sql).toMatch(/FROM event_bodies WHERE sha256 = \?1$/);
  }, 120_000);
});

describe("the cron trigger", () => {
  it("runs maintenance from the scheduled handler", async () => {
    const id = await strand(gigsUpdatedBody(gigIds(1)), NOW - 10 * MIN);
    const sent = captureSends();
    await worker.scheduled(createScheduledController({ scheduledTime: NOW, cron: "* * * * *" }), env);
    expect(sent.map((job) => job.job_id)).toEqual([`${id}:0`]);
  });
});

describe("the outbox sweep's size", () => {
  it("fits the subrequest budget: body reads, sends and the rest of the run stay under MAX_SUBREQUESTS", () => {
    for (const budget of [50, 1000, 10_000]) {
      const { events, jobs } = outboxSweepLimits(budget);
      // 1 list + a body read per event + a send per 100 jobs + 1 mark, and room for the other steps.
      expect(1 + events + jobs / 100 + 1 + 15).toBeLessThanOrEqual(budget);
      expect(events).toBeGreaterThanOrEqual(25);
      // Jobs wait in memory until sent: bounded whatever the budget.
      expect(jobs).toBeLessThanOrEqual(5_000);
    }
    expect(outboxSweepLimits(50)).toEqual({ events: 25, jobs: 500 });
  });
});
