/**
 * The subrequest budget: whatever a batch holds, one invocation never makes more than
 * MAX_SUBREQUESTS subrequests (Argyle + D1 + Queue), and what does not fit continues as new
 * messages until everything is stored, each gig fetched once.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Job, planJobs } from "../../../src/domain/jobs.ts";
import type { LocalArgyle } from "../../../src/local-argyle/app.ts";
import { clearTables } from "../helpers.ts";
import { firstAcross } from "../shards.ts";
import { job, liveGigCount, type Meter, meter, runBatch, useLocalArgyle } from "./helpers.ts";

afterEach(() => vi.restoreAllMocks());

/**
 * Plays the queue: runs batches of `batchSize` until no message is left, feeding continuations
 * and retried messages back in. Returns the subrequests each invocation made.
 */
async function drain(jobs: Job[], m: Meter, batchSize: number, vars: Partial<Cloudflare.Env>): Promise<number[]> {
  const queue: { body: Job; attempts: number }[] = jobs.map((body) => ({ body, attempts: 1 }));
  const perInvocation: number[] = [];
  while (queue.length > 0) {
    if (perInvocation.length > 2000) throw new Error("the queue never drained");
    const batch = queue.splice(0, batchSize);
    m.reset();
    m.sent.length = 0;
    const attempts = Math.max(...batch.map((b) => b.attempts));
    const result = await runBatch(
      batch.map((b) => b.body),
      { attempts, env: vars },
    );
    perInvocation.push(m.total());
    queue.push(...m.sent.map((body) => ({ body, attempts: 1 })));
    for (const { msgId } of result.retryMessages) {
      const retried = batch[Number(msgId.replace("msg-", ""))];
      if (retried) queue.push({ body: retried.body, attempts: retried.attempts + 1 });
    }
  }
  return perInvocation;
}

function bigAccount(argyle: LocalArgyle) {
  const account = argyle.store.accounts()[0];
  if (!account) throw new Error("no account");
  return account;
}

describe("subrequest budget", () => {
  it.each([1, 10])(
    "a gigs.updated naming 10,000 gigs: every invocation within 50 subrequests (batches of %i)",
    async (batchSize) => {
      await clearTables();
      const argyle = useLocalArgyle({ seed: 3, accounts: [{ gigs: 10_000 }] });
      const account = bigAccount(argyle);
      const ids = argyle.store.gigsOf(account.id).map((g) => g.id as string);
      const jobs = planJobs(
        {
          event: "gigs.updated",
          name: "s",
          data: {
            account: account.id,
            user: account.user,
            available_from: null,
            available_to: null,
            available_count: ids.length,
            updated_count: ids.length,
            updated_gigs: ids,
            updated_from: null,
            updated_to: null,
          },
        },
        { eventId: "evt-10k", receivedAt: new Date().toISOString() },
      );
      const m = meter();
      const perInvocation = await drain(jobs, m, batchSize, { MAX_SUBREQUESTS: "50" });

      expect(Math.max(...perInvocation)).toBeLessThanOrEqual(50);
      expect(await liveGigCount(account.id)).toBe(10_000);
      const fetches = argyle.stats.snapshot().gigFetches;
      expect(Object.keys(fetches).length).toBe(10_000);
      expect(argyle.stats.refetchedIds()).toEqual([]);
      console.info(`10,000 IDs, batches of ${batchSize}: ${perInvocation.length} invocations`);
    },
    120_000,
  );

  it("a 10,000-gig backfill: pages of 200, resumable continuations, within 50 subrequests each", async () => {
    await clearTables();
    const argyle = useLocalArgyle({ seed: 4, accounts: [{ gigs: 10_000 }] });
    const account = bigAccount(argyle);
    const m = meter();
    const perInvocation = await drain([job("backfill", { account: account.id, user: account.user })], m, 1, {
      MAX_SUBREQUESTS: "50",
    });
    expect(Math.max(...perInvocation)).toBeLessThanOrEqual(50);
    expect(perInvocation.length).toBeGreaterThan(1);
    expect(await liveGigCount(account.id)).toBe(10_000);
    const stats = argyle.stats.snapshot();
    expect(stats.listPages).toBe(50);
    expect(stats.listedGigs).toBe(10_000);
    const state = await firstAcross("SELECT * FROM accounts WHERE id = ?", account.id);
    expect(state).toMatchObject({ backfill_status: "done", backfill_pages: 50, backfill_gigs: 10_000 });
  }, 120_000);

  it("a backfill that fails mid-way resumes from its checkpoint, not from the start", async () => {
    await clearTables();
    const argyle = useLocalArgyle({ seed: 5, accounts: [{ gigs: 1_000 }] });
    const account = bigAccount(argyle);
    // The 4th list request fails with a 503.
    const fetchMock = vi.mocked(globalThis.fetch);
    const passThrough = fetchMock.getMockImplementation();
    let lists = 0;
    fetchMock.mockImplementation(async (input, init) => {
      const url = new Request(input, init).url;
      if (/\/v2\/gigs\?/.test(url) && ++lists === 4) return new Response("upstream down", { status: 503 });
      return passThrough ? passThrough(input, init) : new Response(null, { status: 500 });
    });
    const body = job("backfill", { account: account.id, user: account.user });
    // A failure before any page was committed: the message is redelivered (and counts an attempt).
    lists = 3;
    const early = await runBatch([body], { env: { MAX_SUBREQUESTS: "1000" } });
    expect(early.retryMessages).toHaveLength(1);
    await clearTables();
    lists = 0;
    const m = meter();
    const first = await runBatch([body], { env: { MAX_SUBREQUESTS: "1000" } });
    // After three pages were committed the walk carries on as a new, delayed message instead,
    // so a long walk through a flaky Argyle never runs out of retries while it advances.
    expect(first.explicitAcks).toEqual(["msg-0"]);
    const [continuation] = m.sent;
    expect(continuation).toMatchObject({ kind: "backfill", pass: body.job_id });
    const checkpoint = await firstAcross("SELECT * FROM accounts WHERE id = ?", account.id);
    expect(checkpoint).toMatchObject({
      backfill_status: "running",
      backfill_pages: 3,
      backfill_cursor: expect.any(String),
      backfill_retry_ms: expect.any(Number),
    });

    const second = await runBatch([continuation], { env: { MAX_SUBREQUESTS: "1000" } });
    expect(second.explicitAcks).toEqual(["msg-0"]);
    expect(await liveGigCount(account.id)).toBe(1_000);
    // 5 pages of 200: 3 before the failure, the failed 4th, then 4th and 5th again. Nothing re-listed.
    expect(lists).toBe(6);
  });
});
