/**
 * The consumer's side of sharding: new accounts are placed once, in the open shard with the most
 * headroom; every later job goes to that shard; a job that meets a move's fence stores nothing
 * there and comes back later to the new home.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { shardNames } from "../../../src/domain/shards/bindings.ts";
import type { LocalArgyle } from "../../../src/local-argyle/app.ts";
import { clearTables } from "../helpers.ts";
import { countAcross, homeShard, placeAccount } from "../shards.ts";
import { job, liveGigCount, meter, runBatch, storedGig, useLocalArgyle } from "./helpers.ts";

let argyle: LocalArgyle;

beforeEach(async () => {
  await clearTables();
  argyle = useLocalArgyle({ seed: 11, accounts: [{ gigs: 5 }, { gigs: 5 }, { gigs: 5 }] });
});
afterEach(() => vi.restoreAllMocks());

function accountAt(n: number) {
  const account = argyle.store.accounts()[n];
  if (!account) throw new Error("no such account");
  const ids = argyle.store.gigsOf(account.id).map((g) => g.id as string);
  return { id: account.id, user: account.user, ids };
}

async function fetchAll(n: number) {
  const a = accountAt(n);
  return runBatch([job("fetch_gigs", { account: a.id, user: a.user, ids: a.ids })]);
}

describe("placement", () => {
  it("spreads new accounts over the open shards and keeps each in one", async () => {
    await fetchAll(0);
    await fetchAll(1);
    const [first, second] = [await homeShard(accountAt(0).id), await homeShard(accountAt(1).id)];
    // Equal headroom: the lower-numbered shards first, one account each.
    expect([first, second]).toEqual(["SHARD_1", "SHARD_2"]);
    // Every gig is in its account's home shard and nowhere else.
    for (const n of [0, 1]) {
      const a = accountAt(n);
      expect(await liveGigCount(a.id)).toBe(a.ids.length);
      expect(await countAcross("SELECT COUNT(*) AS n FROM gigs WHERE account = ?", a.id)).toBe(a.ids.length);
    }
    // A later job for a placed account goes to the same shard.
    await fetchAll(0);
    expect(await homeShard(accountAt(0).id)).toBe(first);
    const { results } = await env.DB.prepare("SELECT name, placed FROM shards ORDER BY name").all();
    expect(results).toEqual([
      { name: "SHARD_1", placed: 1 },
      { name: "SHARD_2", placed: 1 },
    ]);
    expect(shardNames(env).length).toBeGreaterThanOrEqual(2);
  });

  it("puts no new account in a closed shard", async () => {
    const open = shardNames(env).slice(-1)[0] as string;
    const closed = shardNames(env).filter((name) => name !== open);
    for (const name of closed) {
      await env.DB.prepare("INSERT INTO shards (name, status) VALUES (?1, 'closed')").bind(name).run();
    }
    await fetchAll(0);
    await fetchAll(1);
    expect(await homeShard(accountAt(0).id)).toBe(open);
    expect(await homeShard(accountAt(1).id)).toBe(open);
  });

  it("with every shard closed, the job waits (retried) and nothing is placed or lost", async () => {
    for (const name of shardNames(env)) {
      await env.DB.prepare("INSERT INTO shards (name, status) VALUES (?1, 'closed')").bind(name).run();
    }
    vi.spyOn(console, "error").mockImplementation(() => {});
    const result = await fetchAll(0);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["msg-0"]);
    expect(await homeShard(accountAt(0).id)).toBeNull();
  });

  it("asks the directory once for a batch of a new account's jobs, and not again while it remembers", async () => {
    const a = accountAt(2);
    // Statements the consumer prepares that touch the directory (the test's own reads come after).
    let asked: string[] = [];
    const prepare = env.DB.prepare.bind(env.DB);
    vi.spyOn(env.DB, "prepare").mockImplementation((sql) => {
      if (/\bdirectory\b/.test(sql)) asked.push(sql);
      return prepare(sql);
    });
    const jobs = [0, 1, 2].map((i) => job("fetch_gigs", { account: a.id, user: a.user, ids: a.ids.slice(i, i + 1) }));
    await runBatch(jobs);
    // The lookup, then the placement: one batch of insert, user fill-in and read-back.
    expect(asked.map((sql) => sql.trim().split(/\s+/)[0])).toEqual(["SELECT", "INSERT", "UPDATE", "SELECT"]);
    asked = [];
    await runBatch([job("fetch_gigs", { account: a.id, user: a.user, ids: a.ids.slice(3) })]);
    expect(asked).toEqual([]);
    vi.mocked(env.DB.prepare).mockRestore();
    expect(await liveGigCount(a.id)).toBe(5);
  });
});

describe("a job that meets a move's fence", () => {
  it("stores nothing on the old shard, is deferred, and lands in the new home once the directory flips", async () => {
    const a = accountAt(0);
    const old = await placeAccount(a.id, "SHARD_1", a.user);
    // A move has begun: the old home is fenced.
    await old
      .prepare("INSERT INTO account_fences (account, reason, shard, since_ms) VALUES (?1, 'moving', 'SHARD_2', ?2)")
      .bind(a.id, Date.now())
      .run();
    const m = meter();
    const body = job("fetch_gigs", { account: a.id, user: a.user, ids: a.ids });
    const result = await runBatch([body]);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(await countAcross("SELECT COUNT(*) AS n FROM gigs WHERE account = ?", a.id)).toBe(0);
    expect(m.sent).toEqual([expect.objectContaining({ kind: "fetch_gigs", account: a.id, ids: a.ids })]);

    // The move flips the directory; the deferred job now stores in the new home.
    await env.DB.prepare("UPDATE directory SET shard = 'SHARD_2' WHERE account = ?1").bind(a.id).run();
    await runBatch([m.sent[0]]);
    expect(await homeShard(a.id)).toBe("SHARD_2");
    expect(await liveGigCount(a.id)).toBe(a.ids.length);
    expect(await old.prepare("SELECT COUNT(*) AS n FROM gigs").first()).toEqual({ n: 0 });
  });

  it("a backfill met by a fence at its start is deferred, not taken as covered by another pass", async () => {
    const a = accountAt(1);
    const old = await placeAccount(a.id, "SHARD_1", a.user);
    await old
      .prepare("INSERT INTO account_fences (account, reason, shard, since_ms) VALUES (?1, 'moving', 'SHARD_2', ?2)")
      .bind(a.id, Date.now())
      .run();
    const m = meter();
    await runBatch([job("backfill", { account: a.id, user: a.user })]);
    expect(m.sent).toEqual([expect.objectContaining({ kind: "backfill", account: a.id, pass: null })]);
    await env.DB.prepare("UPDATE directory SET shard = 'SHARD_2' WHERE account = ?1").bind(a.id).run();
    await runBatch([m.sent[0]]);
    expect(await liveGigCount(a.id)).toBe(a.ids.length);
    expect((await storedGig(a.ids[0] as string))?.account).toBe(a.id);
  });
});
