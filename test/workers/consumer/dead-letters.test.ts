import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tombstoneStatements } from "../../../src/domain/storage/gigs.ts";
import { recordAttemptStatement } from "../../../src/domain/storage/job-failures.ts";
import { clearTables } from "../helpers.ts";
import { firstAcross, placeAccount } from "../shards.ts";
import { job, runBatch } from "./helpers.ts";

const DLQ = "argyle-gig-jobs-dlq";
const IDS = ["0187dbfa-6f5e-a33a-af26-000000000001", "0187dbfa-6f5e-a33a-af26-000000000002"];

async function failures() {
  const { results } = await env.DB.prepare("SELECT * FROM failures ORDER BY id").all<Record<string, unknown>>();
  return results;
}

beforeEach(clearTables);
afterEach(() => vi.restoreAllMocks());

describe("dead-letter consumer", () => {
  it("records a job that ran out of retries, with its reason, attempts and last error", async () => {
    const dead = job("fetch_gigs", { ids: IDS, received_at: new Date(Date.now() - 60_000).toISOString() });
    await env.DB.batch([recordAttemptStatement(env.DB, dead.job_id, 21, "rate_limited", "HTTP 429: rate limited")]);
    const result = await runBatch([dead], { queue: DLQ });
    expect(result.explicitAcks).toEqual(["msg-0"]);
    const [row, ...rest] = await failures();
    expect(rest).toEqual([]);
    expect(row).toMatchObject({
      job_id: dead.job_id,
      kind: "fetch_gigs",
      account: dead.account,
      event_id: dead.event_id,
      reason: "rate_limited",
      attempts: 21,
      last_error: "HTTP 429: rate limited",
      gig_ids: 2,
      status: "open",
    });
    expect(JSON.parse(String(row?.job))).toEqual(dead);
    // The attempt log is folded into the failure.
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM job_attempts").first()).toEqual({ n: 0 });
  });

  it("records nothing for a purged account, except a failed purge itself", async () => {
    const dead = job("fetch_gigs", { ids: IDS, received_at: new Date(Date.now() - 60_000).toISOString() });
    await env.DB.prepare(
      "INSERT INTO purged_accounts (account, reason, requested_at, progress_ms) VALUES (?1, 'api', ?2, ?3)",
    )
      .bind(dead.account, new Date().toISOString(), Date.now())
      .run();
    const result = await runBatch([dead], { queue: DLQ });
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(await failures()).toEqual([]);
    const purge = job("purge_account", { reason: "api" });
    await runBatch([purge], { queue: DLQ });
    expect((await failures()).map((f) => f.kind)).toEqual(["purge_account"]);
  });

  it("narrows the failure to the gigs still missing", async () => {
    const receivedAt = Date.now() - 60_000;
    const dead = job("fetch_gigs", { ids: IDS, received_at: new Date(receivedAt).toISOString() });
    // The first gig was handled meanwhile (here: a removal notice that arrived later).
    const shard = await placeAccount(dead.account);
    await shard.batch(
      tombstoneStatements(shard, [{ id: IDS[0] as string, syncedMs: receivedAt + 1 }], dead.account, null),
    );
    await runBatch([dead], { queue: DLQ });
    const [row] = await failures();
    expect(JSON.parse(String(row?.job)).ids).toEqual([IDS[1]]);
    expect(row).toMatchObject({
      gig_ids: 1,
      reason: "retries_exhausted",
      last_error: expect.stringMatching(/no attempt/),
    });
  });

  it("records nothing when every gig of the job was stored meanwhile", async () => {
    const receivedAt = Date.now() - 60_000;
    const dead = job("remove_gigs", { ids: IDS, received_at: new Date(receivedAt).toISOString() });
    const shard = await placeAccount(dead.account);
    await shard.batch(
      tombstoneStatements(
        shard,
        IDS.map((id) => ({ id, syncedMs: receivedAt + 5 })),
        dead.account,
        null,
      ),
    );
    const result = await runBatch([dead], { queue: DLQ });
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(await failures()).toEqual([]);
  });

  it("records a message that is not a job at all", async () => {
    const result = await runBatch([{ hello: "world" }], { queue: DLQ });
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(await failures()).toEqual([
      expect.objectContaining({ kind: "invalid", reason: "invalid_job", job: '{"hello":"world"}' }),
    ]);
  });

  it("records a redelivered dead letter once", async () => {
    const dead = job("list_window", { from: "2023-03-02T00:00:00Z", to: "2023-03-03T00:00:00Z" });
    await runBatch([dead], { queue: DLQ });
    await runBatch([dead], { queue: DLQ });
    expect(await failures()).toHaveLength(1);
  });

  it("marks a failed backfill pass as failed, so the next sync request starts afresh", async () => {
    const dead = job("backfill", { pass: "evt-1:0" });
    const shard = await placeAccount(dead.account);
    await shard
      .prepare(
        "INSERT INTO accounts (id, backfill_status, backfill_pass, backfill_started_ms, backfill_progress_ms) VALUES (?, 'running', 'evt-1:0', 1, 1)",
      )
      .bind(dead.account)
      .run();
    await runBatch([dead], { queue: DLQ });
    expect(await firstAcross("SELECT backfill_status FROM accounts")).toEqual({ backfill_status: "failed" });
  });

  it("retries, never drops, when the failure cannot be written", async () => {
    vi.spyOn(env.DB, "batch").mockRejectedValue(new Error("D1 down"));
    vi.spyOn(console, "error").mockImplementation(() => {});
    const result = await runBatch([job("fetch_gigs", { ids: IDS })], { queue: DLQ });
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["msg-0"]);
  });
});
