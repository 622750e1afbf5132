/**
 * One gig by id across shards. The directory maps accounts, not gigs, so every shard (and the
 * catalog, for legacy accounts) is asked at once: one round trip's latency, K + 1 requests. Then
 * one catalog round trip for the account's open failures (the freshness headers), with the
 * directory asked too only when more than one shard holds the id (an account mid-move): the
 * account's home shard's row wins.
 * @module
 */

import { msToIso } from "../datetime.ts";
import type { Freshness } from "../lifecycle/freshness.ts";
import { openFailuresByAccount } from "../storage/accounts-read.ts";
import { findGigAcross, type GigHit, homeHit } from "../storage/gigs-read-shards.ts";
import { CATALOG_SHARD, shardDb, shardNames } from "./bindings.ts";
import { lookupAccount } from "./directory.ts";

/**
 * The copy of a gig from its account's home shard. Every copy names the same account; the
 * directory is asked only when several shards hold one (an account mid-move).
 */
async function homeCopy(catalog: D1Database, hits: readonly GigHit[]): Promise<GigHit | null> {
  const first = hits[0];
  if (!first) return null;
  const home = hits.length > 1 ? await lookupAccount(catalog, first.account) : null;
  return homeHit(hits, home?.shard ?? null);
}

/** Every shard a gig may sit in, the catalog (legacy "DB") first. */
function everyShard(env: object) {
  return [CATALOG_SHARD, ...shardNames(env)].map((name) => ({ name, db: shardDb(env, name), skip: [] }));
}

/**
 * A gig's row as stored, tombstone or not (the console shows tombstones too), from its account's
 * home shard when several hold it; null if no shard has it.
 */
export async function storedGigAcross(
  env: object,
  catalog: D1Database,
  id: string,
): Promise<{ data: string | null; removed_at: string | null } | null> {
  const hit = await homeCopy(catalog, await findGigAcross(everyShard(env), id));
  return hit && { data: hit.data, removed_at: hit.removedAt };
}

/** The account of gig `id`, from whichever shard holds it (every copy names the same account), or null. */
export async function gigAccountAcross(env: object, id: string): Promise<string | null> {
  const hits = await findGigAcross(everyShard(env), id);
  return hits[0]?.account ?? null;
}

export async function gigByIdAcross(
  env: object,
  catalog: D1Database,
  id: string,
): Promise<{ data: string; freshness: Freshness } | null> {
  // The catalog is asked unconditionally: a primary-key probe of its (legacy) gigs table costs
  // less than first asking whether legacy accounts remain, which would add a round trip.
  const hits = await findGigAcross(everyShard(env), id);
  const account = hits[0]?.account;
  if (account === undefined) return null;
  const [hit, failures] = await Promise.all([homeCopy(catalog, hits), openFailuresByAccount(catalog, [account])]);
  if (!hit?.live || hit.data === null) return null;
  return {
    data: hit.data,
    freshness: {
      scope: "account",
      syncedAt: msToIso(hit.syncedMs),
      backfill: hit.running ? "running" : "idle",
      openFailures: failures.get(account) ?? 0,
    },
  };
}
