/**
 * The local stack runs the catalog and exactly SHARD_1..SHARD_N for both Workers, every one
 * migrated by its role's folder: 2 by default (wrangler.toml), any N ≥ 1 by option or GIG_SHARDS.
 * Node-side checks read gig rows from the catalog's legacy tables and every shard at once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { shardCount, withShards } from "../../scripts/lib/common/shard-count.ts";
import { type Stack, startStack } from "../../scripts/lib/common/stack.ts";
import { NEWEST_MIGRATION, NEWEST_SHARD_MIGRATION } from "../../src/domain/schema-version.ts";

let stack: Stack | undefined;
const savedGigShards = process.env.GIG_SHARDS;
afterEach(async () => {
  await stack?.dispose();
  stack = undefined;
  if (savedGigShards === undefined) delete process.env.GIG_SHARDS;
  else process.env.GIG_SHARDS = savedGigShards;
});

async function health(s: Stack): Promise<{ status: number; body: { databases?: Record<string, string> } }> {
  const res = await fetch(`${s.url}/health`);
  return { status: res.status, body: (await res.json()) as { databases?: Record<string, string> } };
}

describe("startStack shards", () => {
  it("runs the 2 shards of wrangler.toml by default, migrated, in both Workers", async () => {
    delete process.env.GIG_SHARDS;
    stack = await startStack();
    expect(Object.keys(stack.shards)).toEqual(["SHARD_1", "SHARD_2"]);
    expect(await health(stack)).toEqual({
      status: 200,
      body: expect.objectContaining({
        databases: { DB: NEWEST_MIGRATION, SHARD_1: NEWEST_SHARD_MIGRATION, SHARD_2: NEWEST_SHARD_MIGRATION },
      }),
    });
    // The consumer's SHARD_2 is the receiver's SHARD_2: a row written through one is read through the other.
    const consumerShard = await stack.mf.getD1Database("SHARD_2", "consumer");
    await consumerShard
      .prepare(
        "INSERT INTO gigs (id, account, user, start_ms, updated_ms, data, synced_ms) VALUES ('g', 'a', 'u', 1, 1, '{}', 1)",
      )
      .run();
    expect(await stack.shardDb("SHARD_2").prepare("SELECT id FROM gigs").all()).toMatchObject({
      results: [{ id: "g" }],
    });
  });

  it("runs exactly SHARD_1..SHARD_N with GIG_SHARDS=N, and the shards option wins over it", async () => {
    process.env.GIG_SHARDS = "3";
    stack = await startStack({ consumer: false });
    expect(Object.keys(stack.shards)).toEqual(["SHARD_1", "SHARD_2", "SHARD_3"]);
    expect(Object.keys((await health(stack)).body.databases ?? {})).toEqual(["DB", "SHARD_1", "SHARD_2", "SHARD_3"]);
    await stack.dispose();

    stack = await startStack({ consumer: false, shards: 1 });
    expect(Object.keys(stack.shards)).toEqual(["SHARD_1"]);
    const { status, body } = await health(stack);
    expect(status).toBe(200);
    expect(body.databases).toEqual({ DB: NEWEST_MIGRATION, SHARD_1: NEWEST_SHARD_MIGRATION });
    expect(() => stack?.shardDb("SHARD_2")).toThrow(/runs SHARD_1, not SHARD_2/);
  });

  it("refuses a shard count below 1 with a clear error", async () => {
    await expect(startStack({ shards: 0 })).rejects.toThrow(/shards must be a whole number ≥ 1, got 0/);
    process.env.GIG_SHARDS = "-1";
    await expect(startStack()).rejects.toThrow(/GIG_SHARDS must be a whole number ≥ 1, got "-1"/);
  });

  it("gigRows and gigCount read the catalog's legacy tables and every shard", async () => {
    stack = await startStack({ consumer: false, shards: 2 });
    const insert =
      "INSERT INTO gigs (id, account, user, start_ms, updated_ms, data, synced_ms) VALUES (?1, 'a', 'u', 1, 1, '{}', 1)";
    await stack.db.prepare(insert).bind("legacy").run();
    await stack.shardDb("SHARD_2").prepare(insert).bind("placed").run();
    const rows = await stack.gigRows<{ id: string }>("SELECT id FROM gigs WHERE account = ?1", "a");
    expect(rows.map((r) => r.id).sort()).toEqual(["legacy", "placed"]);
    expect(await stack.gigCount("SELECT COUNT(*) AS n FROM gigs WHERE account = ?1", "a")).toBe(2);
  });
});

describe("shard count and bindings", () => {
  it("takes the option, else GIG_SHARDS, else the configured count", () => {
    expect(shardCount(4, { GIG_SHARDS: "3" }, 2)).toBe(4);
    expect(shardCount(undefined, { GIG_SHARDS: "3" }, 2)).toBe(3);
    expect(shardCount(undefined, {}, 2)).toBe(2);
    expect(() => shardCount(undefined, {}, 0)).toThrow(/the shards in wrangler.toml must be a whole number ≥ 1/);
  });

  it("keeps the configured shards' ids, gives extra shards their own, and drops the rest", () => {
    const configured = { DB: { id: "catalog" }, SHARD_1: { id: "one" }, SHARD_2: { id: "two" } };
    expect(withShards(configured, 3)).toEqual({
      DB: { id: "catalog" },
      SHARD_1: { id: "one" },
      SHARD_2: { id: "two" },
      SHARD_3: { id: "local-gig-shard_3" },
    });
    expect(withShards(configured, 1)).toEqual({ DB: { id: "catalog" }, SHARD_1: { id: "one" } });
  });
});
