import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { FetchedGig } from "../../../src/domain/argyle-client.ts";
import { freshGigIds, tombstoneStatements, upsertGigStatements } from "../../../src/domain/storage/gigs.ts";
import { unseenGigIds } from "../../../src/domain/storage/reconcile.ts";
import { clearTables } from "../helpers.ts";

const ACCOUNT = "0187c66e-e7e5-811c-b006-2232f00f426a";
const USER = "018051aa-f7a9-a0db-2f38-6cfa325e9d69";
const ID = "0187dbfa-6f5e-a33a-af26-7e12ff408fea";

function gig(updatedAt: string, extra: Record<string, unknown> = {}, id = ID): FetchedGig {
  const object = {
    id,
    account: ACCOUNT,
    employer: "GigAndGo",
    status: "completed",
    type: "delivery",
    start_datetime: "2023-03-08T08:08:57Z",
    end_datetime: "2023-03-08T08:31:36Z",
    updated_at: updatedAt,
    income: { currency: "USD", total: "30.68", tips: null },
    ...extra,
  };
  return { gig: object, json: JSON.stringify(object) };
}

async function upsert(g: FetchedGig, syncedMs: number) {
  await env.SHARD_1.batch(upsertGigStatements(env.SHARD_1, [{ ...g, syncedMs }], USER));
}

async function tombstone(id: string, syncedMs: number) {
  await env.SHARD_1.batch(tombstoneStatements(env.SHARD_1, [{ id, syncedMs }], ACCOUNT, USER));
}

async function row(id = ID) {
  return env.SHARD_1.prepare("SELECT * FROM gigs WHERE id = ?").bind(id).first<Record<string, unknown>>();
}

beforeEach(clearTables);

describe("gig upserts", () => {
  it("stores the object exactly as fetched, with indexed columns beside it", async () => {
    const g = gig("2023-03-08T08:31:37.037Z");
    await upsert(g, 1000);
    expect(await row()).toMatchObject({
      id: ID,
      account: ACCOUNT,
      user: USER,
      employer: "GigAndGo",
      status: "completed",
      type: "delivery",
      start_ms: Date.parse("2023-03-08T08:08:57Z"),
      end_ms: Date.parse("2023-03-08T08:31:36Z"),
      updated_ms: Date.parse("2023-03-08T08:31:37.037Z"),
      data: g.json,
      synced_ms: 1000,
      removed_at: null,
    });
  });

  it("never replaces a newer updated_at with an older one, whatever the arrival order", async () => {
    const newer = gig("2023-03-09T00:00:00.500Z", { status: "completed" });
    const older = gig("2023-03-09T00:00:00Z", { status: "in_progress" });
    await upsert(newer, 2000);
    await upsert(older, 3000); // fetched later, yet older data (e.g. a lagging replica)
    expect((await row())?.data).toBe(newer.json);
    expect((await row())?.synced_ms).toBe(3000);
  });

  it("ignores an observation older than the stored one", async () => {
    await upsert(gig("2023-03-09T00:00:00Z", { status: "completed" }), 5000);
    await upsert(gig("2023-03-10T00:00:00Z", { status: "cancelled" }), 4000);
    expect(await row()).toMatchObject({ status: "completed", synced_ms: 5000 });
  });

  it("chunks large upserts under D1's 100-parameter limit", async () => {
    const gigs = Array.from({ length: 250 }, (_, i) => ({
      ...gig("2023-03-09T00:00:00Z", {}, `0187dbfa-6f5e-a33a-af26-${i.toString().padStart(12, "0")}`),
      syncedMs: 10,
    }));
    const statements = upsertGigStatements(env.SHARD_1, gigs, USER);
    expect(statements.length).toBe(Math.ceil(250 / 6));
    await env.SHARD_1.batch(statements);
    expect((await env.SHARD_1.prepare("SELECT COUNT(*) AS n FROM gigs").first())?.n).toBe(250);
  });
});

describe("tombstones", () => {
  it("keeps id and removed_at, and the last known object", async () => {
    const g = gig("2023-03-09T00:00:00Z");
    await upsert(g, 1000);
    await tombstone(ID, 2000);
    expect(await row()).toMatchObject({ removed_at: new Date(2000).toISOString(), data: g.json, synced_ms: 2000 });
  });

  it("creates a bare tombstone for a gig never seen, which blocks an older fetch result", async () => {
    await tombstone(ID, 2000);
    expect(await row()).toMatchObject({ account: ACCOUNT, data: null, removed_at: expect.any(String) });
    await upsert(gig("2023-03-09T00:00:00Z"), 1500); // a fetch that started before the removal
    expect((await row())?.removed_at).not.toBeNull();
  });

  it("is revived by a later fetch that finds the gig again", async () => {
    await upsert(gig("2023-03-09T00:00:00Z"), 1000);
    await tombstone(ID, 2000);
    const back = gig("2023-03-11T00:00:00Z", { status: "completed" });
    await upsert(back, 3000);
    expect(await row()).toMatchObject({ removed_at: null, data: back.json });
  });

  it("does not tombstone a gig seen alive after the removal notice arrived", async () => {
    await upsert(gig("2023-03-09T00:00:00Z"), 5000);
    await tombstone(ID, 4000); // a late removal notice
    expect((await row())?.removed_at).toBeNull();
  });

  it("names the live gigs a complete pass did not see, only for the account's current clean pass", async () => {
    const seen = "0187dbfa-6f5e-a33a-af26-000000000001";
    const unseen = ["0187dbfa-6f5e-a33a-af26-000000000002", "0187dbfa-6f5e-a33a-af26-000000000003"];
    for (const id of unseen) await upsert(gig("2023-03-09T00:00:00Z", {}, id), 100);
    await upsert(gig("2023-03-09T00:00:00Z", {}, seen), 1100); // listed by the pass that started at 1000
    await env.SHARD_1.prepare(
      "INSERT INTO accounts (id, backfill_status, backfill_pass, backfill_started_ms) VALUES (?, 'done', 'p1', 1000)",
    )
      .bind(ACCOUNT)
      .run();
    // A superseded pass (p0) proves nothing; the account's completed pass (p1) does.
    expect(await unseenGigIds(env.SHARD_1, ACCOUNT, "p0", null, 10)).toEqual([]);
    expect(await unseenGigIds(env.SHARD_1, ACCOUNT, "p1", null, 10)).toEqual(unseen);
    expect(await unseenGigIds(env.SHARD_1, ACCOUNT, "p1", unseen[0] as string, 10)).toEqual([unseen[1]]);
    expect(await unseenGigIds(env.SHARD_1, ACCOUNT, "p1", null, 1)).toEqual([unseen[0]]);
    // Nothing is named without a confirmation: the read itself changes nothing.
    expect((await row(unseen[0]))?.removed_at).toBeNull();
    // A pass that skipped gigs was not a complete listing.
    await env.SHARD_1.prepare("UPDATE accounts SET backfill_skipped = 1").run();
    expect(await unseenGigIds(env.SHARD_1, ACCOUNT, "p1", null, 10)).toEqual([]);
  });
});

describe("freshGigIds", () => {
  it("names the gigs learned about at or after a time", async () => {
    const a = "0187dbfa-6f5e-a33a-af26-00000000000a";
    const b = "0187dbfa-6f5e-a33a-af26-00000000000b";
    await upsert(gig("2023-03-09T00:00:00Z", {}, a), 1000);
    await tombstone(b, 3000);
    expect(await freshGigIds(env.SHARD_1, [a, b, ID], 2000)).toEqual(new Set([b]));
    expect(await freshGigIds(env.SHARD_1, [a, b, ID], 1000)).toEqual(new Set([a, b]));
    expect(await freshGigIds(env.SHARD_1, [], 0)).toEqual(new Set());
  });
});
