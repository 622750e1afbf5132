/**
 * D1 overload is an expected answer: a job whose database answers "overloaded" (or reset, or
 * connection lost) retries with backoff, is noted as a D1 retry, and when the queue's retries run
 * out the dead-letter consumer puts it back on the queue instead of failing it; only a D1 outage
 * longer than D1_REQUEUE_WINDOW_MS ends in `failures`. An overloaded shard never holds up the
 * jobs of accounts on another shard.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { D1_REQUEUE_WINDOW_MS } from "../../../src/consumer/d1-retries.ts";
import { NOTE_D1_FROM_ATTEMPT } from "../../../src/consumer/dead-letter-retry.ts";
import { isD1Transient } from "../../../src/domain/d1-faults.ts";
import type { Job } from "../../../src/domain/jobs.ts";
import { recordAttemptStatement } from "../../../src/domain/storage/job-failures.ts";
import { clearTables } from "../helpers.ts";
import { job, runBatch } from "./helpers.ts";
import { countIn, place, seedGigs, shard } from "./shard-helpers.ts";

const DLQ = "argyle-gig-jobs-dlq";
const OVERLOADED = "D1_ERROR: D1 DB is overloaded. Too many requests queued.";

beforeEach(async () => {
  await clearTables();
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "warn").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

async function attemptLog(jobId: string) {
  return env.DB.prepare("SELECT reason, last_error FROM job_attempts WHERE job_id = ?1")
    .bind(jobId)
    .first<{ reason: string; last_error: string }>();
}

describe("retry classification", () => {
  it.each([
    OVERLOADED,
    "D1_ERROR: Internal error in D1 DB storage caused object to be reset.",
    "D1_ERROR: D1 DB reset because its code was updated.",
    "D1_ERROR: Network connection lost.",
    "D1_ERROR: D1 DB storage operation exceeded timeout which caused object to be reset.",
  ])("%s is transient", (text) => {
    expect(isD1Transient(new Error(text))).toBe(true);
    expect(isD1Transient(new Error("wrapped", { cause: new Error(text) }))).toBe(true);
  });

  it("a constraint or syntax error is not", () => {
    expect(isD1Transient(new Error("D1_ERROR: UNIQUE constraint failed: gigs.id"))).toBe(false);
    expect(isD1Transient(new Error('D1_ERROR: near "SELEC": syntax error'))).toBe(false);
  });
});

describe("a shard answering overloaded", () => {
  it("retries its job with backoff, notes it as a D1 retry, and the job on the other shard completes in the same batch", async () => {
    const [busy, calm] = ["0bbb0000-0000-4000-8000-0000000000b1", "0bbb0000-0000-4000-8000-0000000000b2"];
    await place(busy, "SHARD_1");
    await place(calm, "SHARD_2");
    await seedGigs(shard("SHARD_1"), busy, 20);
    await seedGigs(shard("SHARD_2"), calm, 20, "0ddd0000");
    vi.spyOn(shard("SHARD_1"), "batch").mockRejectedValue(new Error(OVERLOADED));
    const [busyJob, calmJob] = [
      job("purge_account", { account: busy, reason: "webhook" }),
      job("purge_account", { account: calm, reason: "webhook" }),
    ];
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    // Late in its retries: the attempt from which D1 retries are noted for the dead-letter consumer.
    const result = await runBatch([busyJob, calmJob], { attempts: NOTE_D1_FROM_ATTEMPT });
    // The busy shard's job waits (backoff), the calm shard's is done: acked, its gigs gone.
    expect(result.retryMessages).toEqual([{ msgId: "msg-0" }]);
    const retried = warn.mock.calls
      .map(([line]) => JSON.parse(String(line)) as { msg: string; reason?: string; delay_seconds?: number })
      .filter((l) => l.msg === "job will retry");
    expect(retried).toEqual([expect.objectContaining({ reason: "d1", delay_seconds: expect.any(Number) })]);
    expect(retried[0]?.delay_seconds).toBeGreaterThan(0);
    expect(result.explicitAcks).toEqual(["msg-1"]);
    expect(await countIn(shard("SHARD_2"), "gigs WHERE account = ?1", calm)).toBe(0);
    expect(await attemptLog(busyJob.job_id)).toMatchObject({
      reason: "d1",
      last_error: expect.stringContaining("overloaded"),
    });
    expect(await attemptLog(calmJob.job_id)).toBeNull();
  });

  it("a job that ran out of retries on D1 is put back on the queue by the dead-letter consumer, not failed", async () => {
    const dead = job("fetch_gigs", { ids: ["0187dbfa-6f5e-a33a-af26-000000000001"] });
    await env.DB.batch([recordAttemptStatement(env.DB, dead.job_id, 20, "d1", `Error: ${OVERLOADED}`)]);
    const requeued: { body: Job; delaySeconds?: number }[] = [];
    vi.spyOn(env.JOBS, "send").mockImplementation(async (body, options) => {
      requeued.push({ body: body as Job, ...(options?.delaySeconds ? { delaySeconds: options.delaySeconds } : {}) });
      return {} as QueueSendResponse;
    });
    const result = await runBatch([dead], { queue: DLQ });
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(requeued).toEqual([{ body: dead, delaySeconds: 60 }]);
    expect(await countIn(env.DB, "failures")).toBe(0);
    // Still noted: the next time round, the ladder knows how long it has been failing.
    expect(await attemptLog(dead.job_id)).toMatchObject({ reason: "d1" });
  });

  it("after failing on D1 for the whole window, it is recorded as a failure (reason d1), redrivable", async () => {
    const dead = job("fetch_gigs", { ids: ["0187dbfa-6f5e-a33a-af26-000000000001"] });
    await env.DB.batch([recordAttemptStatement(env.DB, dead.job_id, 20, "d1", `Error: ${OVERLOADED}`)]);
    await env.DB.prepare("UPDATE job_attempts SET first_failed_ms = ?2 WHERE job_id = ?1")
      .bind(dead.job_id, Date.now() - D1_REQUEUE_WINDOW_MS - 60_000)
      .run();
    const send = vi.spyOn(env.JOBS, "send");
    await runBatch([dead], { queue: DLQ });
    expect(send).not.toHaveBeenCalled();
    const row = await env.DB.prepare("SELECT reason, status FROM failures WHERE job_id = ?1").bind(dead.job_id).first();
    expect(row).toEqual({ reason: "d1", status: "open" });
  });

  it("a dead letter for another reason is recorded as before", async () => {
    const dead = job("fetch_gigs", { ids: ["0187dbfa-6f5e-a33a-af26-000000000001"] });
    await env.DB.batch([recordAttemptStatement(env.DB, dead.job_id, 20, "rate_limited", "HTTP 429")]);
    const send = vi.spyOn(env.JOBS, "send");
    await runBatch([dead], { queue: DLQ });
    expect(send).not.toHaveBeenCalled();
    expect(await countIn(env.DB, "failures WHERE reason = 'rate_limited'")).toBe(1);
  });
});
