/**
 * Test kit for the gig shards: the tests run with two or more (SHARD_1, SHARD_2, ...), so reads of
 * gigs and account state go through the directory, or across every shard, as the product's do.
 */
import { env } from "cloudflare:workers";
import { shardDb, shardNames } from "../../src/domain/shards/bindings.ts";
import { lookupAccount } from "../../src/domain/shards/directory.ts";

/** Every gig shard's database, in binding order. */
export function shardDbs(): D1Database[] {
  return shardNames(env).map((name) => shardDb(env, name));
}

/** The database of the account's home shard; fails the test if no job has placed the account. */
export async function homeDb(account: string): Promise<D1Database> {
  const db = await placedDb(account);
  if (!db) throw new Error(`account ${account} is in no shard: no job has placed it`);
  return db;
}

/** The database of the account's home shard, or null if no job has placed the account. */
export async function placedDb(account: string): Promise<D1Database | null> {
  const entry = await lookupAccount(env.DB, account);
  return entry ? shardDb(env, entry.shard) : null;
}

/** The account's home shard name, or null if it has not been placed. */
export async function homeShard(account: string): Promise<string | null> {
  return (await lookupAccount(env.DB, account))?.shard ?? null;
}

/**
 * Places `account` in `shard` (as the consumer would on its first job) and returns that shard's
 * database, for tests that store rows before running jobs. SHARD_2 by default: not the shard
 * placement picks first, so a test that forgot the directory would read the wrong shard.
 */
export async function placeAccount(
  account: string,
  shard = "SHARD_2",
  user: string | null = null,
): Promise<D1Database> {
  await env.DB.prepare("INSERT INTO directory (account, shard, user, placed_ms) VALUES (?1, ?2, ?3, ?4)")
    .bind(account, shard, user, Date.now())
    .run();
  return shardDb(env, shard);
}

/** Runs a read on every shard and returns all rows, shard by shard. */
export async function rowsAcross<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]> {
  const all = await Promise.all(
    shardDbs().map((db) =>
      db
        .prepare(sql)
        .bind(...params)
        .all<T>(),
    ),
  );
  return all.flatMap((r) => r.results);
}

/** The first row any shard answers a read with (for reads that can match on one shard only). */
export async function firstAcross<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T | null> {
  return (await rowsAcross<T>(sql, ...params))[0] ?? null;
}

/** A `SELECT COUNT(*) AS n …` summed over every shard. */
export async function countAcross(sql: string, ...params: unknown[]): Promise<number> {
  return (await rowsAcross<{ n: number }>(sql, ...params)).reduce((sum, r) => sum + r.n, 0);
}
