/**
 * Through the real local queues: a job sent to the jobs queue is consumed by the consumer
 * Worker, and a permanent failure travels through the dead-letter queue into `failures`.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clearTables } from "../helpers.ts";
import { job, storedGig, useLocalArgyle } from "./helpers.ts";

beforeEach(clearTables);
afterEach(() => vi.restoreAllMocks());

describe("jobs through the local queue", () => {
  it("a queued fetch job ends as stored gigs", async () => {
    const argyle = useLocalArgyle({ seed: 11, accounts: [{ gigs: 5 }] });
    const account = argyle.store.accounts()[0];
    const ids = argyle.store.gigsOf(account?.id as string).map((g) => g.id as string);
    await env.JOBS.send(job("fetch_gigs", { account: account?.id, user: account?.user, ids }));
    await vi.waitUntil(async () => (await storedGig(ids[4] as string)) !== null, { timeout: 10_000, interval: 50 });
    for (const id of ids) expect((await storedGig(id))?.removed_at).toBeNull();
  });

  it("a permanent failure reaches the dead-letter queue and is recorded", async () => {
    const argyle = useLocalArgyle({ seed: 12, accounts: [{ gigs: 3 }] });
    const account = argyle.store.accounts()[0];
    const [id] = argyle.store.gigsOf(account?.id as string).map((g) => g.id as string);
    (argyle.store.gig(id as string) as unknown as Record<string, unknown>).id = "broken";
    vi.spyOn(console, "error").mockImplementation(() => {});
    const sent = job("fetch_gigs", { account: account?.id, user: account?.user, ids: [id as string] });
    await env.JOBS.send(sent);
    const failure = await vi.waitUntil(
      () => env.DB.prepare("SELECT * FROM failures").first<Record<string, unknown>>(),
      { timeout: 10_000, interval: 50 },
    );
    expect(failure).toMatchObject({ kind: "fetch_gigs", reason: "permanent", job_id: `${sent.job_id}~dead` });
    expect(String(failure.last_error)).toMatch(/validation/);
  });
});
