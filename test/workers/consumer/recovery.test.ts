/**
 * Recovery paths: redriving what the dead-letter path recorded, oversized jobs from elsewhere
 * than the receiver, and a backfill pass walked twice at once (as after a cron revival while the
 * original message was only waiting out its backoff).
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../../src/consumer/index.ts";
import { redriveFailure } from "../../../src/domain/redrive.ts";
import type { LocalArgyle } from "../../../src/local-argyle/app.ts";
import { clearTables } from "../helpers.ts";
import { firstAcross, placeAccount } from "../shards.ts";
import { job, liveGigCount, meter, runBatch, useLocalArgyle } from "./helpers.ts";

let argyle: LocalArgyle;

beforeEach(async () => {
  await clearTables();
  argyle = useLocalArgyle({ seed: 21, accounts: [{ gigs: 450 }] });
  vi.spyOn(console, "error").mockImplementation(() => {});
  vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

function account() {
  const a = argyle.store.accounts()[0];
  if (!a) throw new Error("no account");
  return a;
}

describe("redrive", () => {
  it("a dead-lettered backfill, once redriven, walks a new complete pass", async () => {
    const { id, user } = account();
    const fetchMock = vi.mocked(globalThis.fetch);
    const passThrough = fetchMock.getMockImplementation();
    let refuse = true;
    fetchMock.mockImplementation(async (input, init) => {
      if (refuse && /\/v2\/gigs\?/.test(new Request(input, init).url)) return new Response("{}", { status: 400 });
      return passThrough ? passThrough(input, init) : new Response(null, { status: 500 });
    });
    const m = meter();
    await runBatch([job("backfill", { account: id, user })]);
    await runBatch(m.deadLetters, { queue: "argyle-gig-jobs-dlq" });
    const failure = await env.DB.prepare("SELECT id FROM failures").first<{ id: string }>();
    expect(await firstAcross("SELECT backfill_status FROM accounts")).toEqual({ backfill_status: "failed" });

    refuse = false;
    m.sent.length = 0;
    const result = await redriveFailure({ db: env.DB, jobs: env.JOBS }, failure?.id as string);
    expect(result.outcome).toBe("redriven");
    const walked = await runBatch(m.sent, { env: { MAX_SUBREQUESTS: "1000" } });
    expect(walked.explicitAcks).toEqual(["msg-0"]);
    expect(await liveGigCount(id)).toBe(450);
    expect(await firstAcross("SELECT backfill_status FROM accounts")).toEqual({ backfill_status: "done" });
  });

  it("a recorded failure naming hundreds of gigs is fetched in budget-sized parts, none lost", async () => {
    const { id, user } = account();
    const ids = argyle.store
      .gigsOf(id)
      .map((g) => g.id as string)
      .slice(0, 200);
    const m = meter();
    let queue: unknown[] = [job("fetch_gigs", { account: id, user, ids, origin: "redrive" })];
    let invocations = 0;
    while (queue.length > 0 && invocations < 20) {
      m.reset();
      m.sent.length = 0;
      await runBatch(queue.splice(0, 1), { env: { MAX_SUBREQUESTS: "50" } });
      expect(m.total()).toBeLessThanOrEqual(50);
      queue = [...queue, ...m.sent];
      invocations++;
    }
    expect(await liveGigCount(id)).toBe(200);
    expect(argyle.stats.refetchedIds()).toEqual([]);
  });
});

describe("a backfill pass walked twice at once", () => {
  it("the second walker stops at the first page the other already checkpointed; counts stay true", async () => {
    const { id, user } = account();
    const first = job("backfill", { account: id, user });
    const pages = { ARGYLE_PAGE_SIZE: "50" };
    // Placed already, as by the account's earlier jobs: a first job's placement costs four catalog
    // round trips, which would leave the smallest budget no room for a page (the job is deferred).
    await placeAccount(id, "SHARD_2", user);
    // The smallest budget walks a few of the nine pages and leaves a continuation.
    const m = meter();
    await runBatch([first], { env: { ...pages, MAX_SUBREQUESTS: "10" } });
    const [continuation] = m.sent;
    expect(continuation).toMatchObject({ kind: "backfill", pass: first.job_id });
    // Two copies of the continuation in one batch: two walkers of the same pass, concurrently.
    m.sent.length = 0;
    const both = await runBatch([continuation, continuation], { env: { ...pages, MAX_SUBREQUESTS: "1000" } });
    expect(both.explicitAcks.sort()).toEqual(["msg-0", "msg-1"]);
    const state = await firstAcross("SELECT backfill_status, backfill_pages, backfill_gigs FROM accounts");
    expect(state).toEqual({ backfill_status: "done", backfill_pages: 9, backfill_gigs: 450 });
    expect(await liveGigCount(id)).toBe(450);
  });

  it("the cron leaves alone a pass that is only waiting out a long retry", async () => {
    const { id, user } = account();
    argyle.faults.update({ rateLimitRate: 1, retryAfterSeconds: 3600 });
    const started = Date.now();
    const result = await runBatch([job("backfill", { account: id, user })]);
    expect(result.retryMessages).toHaveLength(1);
    const sent = meter().sent;
    // 20 minutes later the pass has made no progress, but its retry is not due for another 40.
    await worker.scheduled(
      createScheduledController({ scheduledTime: started + 20 * 60_000, cron: "*/5 * * * *" }),
      env,
    );
    expect(sent.filter((j) => j.kind === "backfill")).toEqual([]);
    // Once the retry is overdue by the stall time, the cron does step in.
    await worker.scheduled(
      createScheduledController({ scheduledTime: started + 80 * 60_000, cron: "*/5 * * * *" }),
      env,
    );
    expect(sent.filter((j) => j.kind === "backfill")).toHaveLength(1);
  });
});
