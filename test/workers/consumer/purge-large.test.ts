/**
 * A 50,000-gig account (on gig shard SHARD_1) is purged within D1's limits: chunks of at most 1,000 rows, each
 * invocation within the Free plan's 50 subrequests, five messages in all.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import type { Job } from "../../../src/domain/jobs.ts";
import { clearTables } from "../helpers.ts";
import { job, meter, runBatch } from "./helpers.ts";
import { countIn, place, seedGigs, shard } from "./shard-helpers.ts";

beforeEach(async () => {
  await clearTables();
});
afterEach(() => vi.restoreAllMocks());

it("purges a 50,000-gig account in bounded chunks, every invocation within 50 subrequests", async () => {
  const account = "0bbb0000-0000-4000-8000-0000000000aa";
  const total = 50_000;
  const home = shard("SHARD_1");
  await place(account, "SHARD_1");
  await seedGigs(home, account, total);
  await home.prepare("INSERT INTO accounts (id) VALUES (?1)").bind(account).run();

  // The meter counts the catalog's and every shard's round trips: one budget.
  const m = meter();
  const queue: Job[] = [job("purge_account", { account, reason: "webhook" })];
  const perInvocation: number[] = [];
  const started = performance.now();
  while (queue.length > 0) {
    m.reset();
    m.sent.length = 0;
    await runBatch([queue.shift() as Job], { env: { MAX_SUBREQUESTS: "50" } });
    perInvocation.push(m.total());
    queue.push(...m.sent);
    if (perInvocation.length > 100) throw new Error("never finished");
  }
  const ms = performance.now() - started;
  expect(Math.max(...perInvocation)).toBeLessThanOrEqual(50);
  expect(await countIn(home, "gigs")).toBe(0);
  const detail = await env.DB.prepare("SELECT detail FROM audit_log").first<{ detail: string }>("detail");
  expect(JSON.parse(String(detail))).toMatchObject({ gigs: total });
  console.info(`50,000 gigs purged: ${perInvocation.length} messages, ${Math.round(ms)} ms`);
}, 120_000);
