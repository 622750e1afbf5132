/**
 * Defect 3 of issue 10: replaying an old event, or redriving an old job, must not rewind the
 * mirror. Work is dated by when its webhook first arrived, whichever path queues it, and account
 * state only moves forward in arrival time. The whole path runs: receiver, queue messages,
 * consumer against the local Argyle.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Gig } from "../../../src/local-argyle/model.ts";
import removedFixture from "../../fixtures/webhooks/gigs.removed.json";
import { api, insertFailure } from "../api-helpers.ts";
import { clearTables, gigsUpdatedBody, postWebhook } from "../helpers.ts";
import { firstAcross } from "../shards.ts";
import { type Meter, meter, runBatch, storedGig, useLocalArgyle } from "./helpers.ts";

let m: Meter;
let account: string;
let user: string;
let gig: string;

beforeEach(async () => {
  await clearTables();
  const argyle = useLocalArgyle({ seed: 7, accounts: [{ gigs: 3 }] });
  const first = argyle.store.accounts()[0];
  if (!first) throw new Error("no account");
  account = first.id;
  user = first.user;
  gig = (argyle.store.gigsOf(account)[0] as Gig).id;
  m = meter();
  vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

/** Delivers a webhook (or any receiver call that queues work), then runs the work it queued. */
async function deliverAndRun(send: () => Promise<Response>): Promise<string> {
  m.sent.length = 0;
  const res = await send();
  expect(res.status).toBe(202);
  const { id } = await res.json<{ id: string }>();
  const jobs = [...m.sent];
  expect(jobs.length).toBeGreaterThan(0);
  const result = await runBatch(jobs);
  expect(result.retryMessages).toEqual([]);
  return id;
}

function updatedBody(availableCount: number): string {
  const body = JSON.parse(gigsUpdatedBody([gig], account)) as { data: Record<string, unknown> };
  body.data.user = user;
  body.data.available_count = availableCount;
  return JSON.stringify(body);
}

function removedBody(): string {
  const body = structuredClone(removedFixture);
  Object.assign(body.data, { account, user, removed_count: 1, removed_gigs: [gig] });
  return JSON.stringify(body);
}

async function accountState() {
  return firstAcross("SELECT available_count, last_webhook_at FROM accounts WHERE id = ?1", account);
}

const replay = (id: string) => () => api(`/api/events/${id}/replay`, { method: "POST" });

describe("replaying an old event", () => {
  it("does not rewind the account's available_count to the old event's", async () => {
    const old = await deliverAndRun(() => postWebhook(updatedBody(10)));
    expect((await accountState())?.available_count).toBe(10);
    await deliverAndRun(() => postWebhook(updatedBody(20)));
    const newest = await accountState();
    expect(newest?.available_count).toBe(20);

    await deliverAndRun(replay(old));
    expect(await accountState()).toEqual(newest);
  });

  it("does not remove again a gig Argyle has served alive since", async () => {
    const removal = await deliverAndRun(() => postWebhook(removedBody()));
    expect((await storedGig(gig))?.removed_at).toEqual(expect.any(String));
    await deliverAndRun(() => postWebhook(updatedBody(3)));
    expect((await storedGig(gig))?.removed_at).toBeNull();

    await deliverAndRun(replay(removal));
    expect((await storedGig(gig))?.removed_at).toBeNull();
    expect((await api(`/v2/gigs/${gig}`)).status).toBe(200);
  });

  it("queues the replay's work dated by the original arrival, also when replaying a replay", async () => {
    const original = await deliverAndRun(() => postWebhook(updatedBody(10)));
    const arrived = (await env.DB.prepare("SELECT received_at FROM events WHERE id = ?1").bind(original).first())
      ?.received_at;
    m.sent.length = 0;
    const first = await (await replay(original)()).json<{ id: string }>();
    await replay(first.id)();
    expect(m.sent.map((job) => job.received_at)).toEqual([arrived, arrived]);
  });
});

describe("redriving an old job", () => {
  it("does not remove again a gig Argyle has served alive since the job's webhook", async () => {
    const webhookAt = new Date(Date.now() - 60 * 60_000).toISOString();
    await insertFailure({
      id: "0190c0de-0000-7000-8000-00000000f001",
      account,
      job: {
        v: 1,
        kind: "remove_gigs",
        job_id: "evt-old:0",
        event_id: "evt-old",
        account,
        user,
        received_at: webhookAt,
        origin: "webhook",
        ids: [gig],
      },
    });
    await deliverAndRun(() => postWebhook(updatedBody(3)));
    expect((await storedGig(gig))?.removed_at).toBeNull();

    m.sent.length = 0;
    const res = await api("/api/failures/0190c0de-0000-7000-8000-00000000f001/retry", { method: "POST" });
    expect(res.status).toBe(202);
    expect(m.sent).toEqual([expect.objectContaining({ kind: "remove_gigs", received_at: webhookAt })]);
    await runBatch([...m.sent]);
    expect((await storedGig(gig))?.removed_at).toBeNull();
  });
});
