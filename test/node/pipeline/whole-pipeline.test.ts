/**
 * The whole pipeline through miniflare with no fault and no stub: the local Argyle changes its
 * data and delivers the signed webhook itself over HTTP to the real receiver; the real consumer
 * takes the jobs off the real local queue and fetches from the local Argyle (its ARGYLE_API_URL);
 * the gig objects come out of the read API exactly as Argyle serves them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkMirror } from "../../../scripts/lib/reliability/mirror-check.ts";
import { Pipeline, SECRETS } from "../../../scripts/lib/reliability/pipeline.ts";
import type { Gig } from "../../../src/local-argyle/model.ts";

let p: Pipeline;
let account: string;
const removed = new Map<string, string>();

beforeAll(async () => {
  p = await Pipeline.start({ seed: 71, accounts: [{ gigs: 45 }], faultInjection: false });
  await p.subscribe();
  account = p.argyle.store.accounts()[0]?.id as string;
}, 60_000);

afterAll(async () => {
  await p.close();
});

/** Waits until the mirror equals the local Argyle for the account. */
async function mirrored(): Promise<void> {
  const problems = await p.waitUntil(
    async () => (await checkMirror(p, { accounts: [account], removed })).problems,
    20_000,
  );
  expect(problems).toEqual([]);
}

async function get(path: string): Promise<Response> {
  return fetch(`${p.stack.url}${path}`, { headers: { authorization: `Bearer ${SECRETS.apiToken}` } });
}

describe("a signed webhook in, full gig objects out", () => {
  it("gigs.fully_synced: every gig of the account is served by GET /v2/gigs as Argyle serves it", async () => {
    const result = await p.argyle.mutate({ action: "fully_synced", account });
    expect(result.deliveries.map((d) => d.status)).toEqual([202]);
    await mirrored();
    const page = (await (await get(`/v2/gigs?account=${account}&limit=200`)).json()) as { results: Gig[] };
    expect(page.results).toEqual(p.argyle.store.gigsOf(account));
  });

  it("gigs.updated: GET /v2/gigs/{id} serves the newest version", async () => {
    const result = await p.argyle.mutate({ action: "update", account, count: 3 });
    expect(result.deliveries.map((d) => d.status)).toEqual([202]);
    await mirrored();
    for (const id of result.gig_ids) {
      const res = await get(`/v2/gigs/${id}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(p.argyle.store.gig(id));
    }
  });

  it("gigs.removed: removed gigs answer 404 and are tombstoned", async () => {
    const result = await p.argyle.mutate({ action: "remove", account, count: 2 });
    for (const id of result.gig_ids) removed.set(id, account);
    await mirrored();
    for (const id of result.gig_ids) {
      expect((await get(`/v2/gigs/${id}`)).status).toBe(404);
      // Exactly one database (the account's home) holds the tombstone.
      const rows = await p.stack.gigRows<{ removed_at: string | null }>(
        "SELECT removed_at FROM gigs WHERE id = ?1",
        id,
      );
      expect(rows).toEqual([{ removed_at: expect.any(String) }]);
    }
  });

  it("gigs.added and gigs.partially_synced: new gigs are listed and served", async () => {
    const added = await p.argyle.mutate({ action: "add", account, count: 2 });
    await p.argyle.mutate({ action: "partially_synced", account });
    await mirrored();
    for (const id of added.gig_ids) expect(await (await get(`/v2/gigs/${id}`)).json()).toEqual(p.argyle.store.gig(id));
  });

  it("the operations API agrees: every delivery recorded, the account's counts right, no failures", async () => {
    const events = (await (await get(`/api/events?account=${account}&limit=100`)).json()) as {
      data: { status: string; enqueued_at: string | null }[];
    };
    expect(events.data).toHaveLength(p.argyle.stats.snapshot().deliveriesOk);
    expect(events.data.every((e) => e.status === "accepted" && e.enqueued_at !== null)).toBe(true);
    const summary = (await (await get(`/api/accounts/${account}`)).json()) as Record<string, unknown>;
    expect(summary).toMatchObject({
      gigs_stored: p.argyle.store.gigsOf(account).length,
      gigs_removed: removed.size,
      open_failures: 0,
    });
    expect(((await (await get("/api/failures")).json()) as { data: unknown[] }).data).toEqual([]);
  });

  it("logged every step, and nothing secret", () => {
    expect(p.logs.lines.length).toBeGreaterThan(10);
    expect(p.logs.leaks()).toEqual([]);
  });
});
