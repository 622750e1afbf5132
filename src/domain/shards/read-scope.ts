/**
 * Which shards a read must ask, and which of their rows it must ignore. A per-account read asks
 * the directory for the account's home (one catalog query) and reads that one shard; a `user`
 * read reads only the shards holding the user's accounts; a read of everything reads every bound
 * shard, plus the catalog as legacy shard "DB" while it still holds accounts. While an account is
 * moving its rows sit in two shards: the one that is not its home is told to skip it, so every
 * row is read once.
 * @module
 */
import { CATALOG_SHARD, shardDb, shardNames } from "./bindings.ts";
import { accountsOfUser, type DirectoryEntry, lookupAccount, movingAccounts, notHomeByShard } from "./directory.ts";

/** One shard to read, and the accounts whose rows there are not theirs to show (few: moving ones). */
export interface ShardTarget {
  name: string;
  db: D1Database;
  skip: string[];
}

/** Whether the catalog still serves legacy accounts as shard "DB" (migration 0011 wrote its row). */
export async function legacyShardInUse(catalog: D1Database): Promise<boolean> {
  const row = await catalog.prepare("SELECT 1 AS found FROM shards WHERE name = ?1").bind(CATALOG_SHARD).first();
  return row !== null;
}

/**
 * Every shard that may hold rows, each with its accounts to skip. Two catalog queries, run at
 * once (the moving list and the legacy check), so one round trip's latency.
 */
export async function allShardTargets(env: object, catalog: D1Database): Promise<ShardTarget[]> {
  return (await allShardsAndMoves(env, catalog)).targets;
}

/** `allShardTargets`, with the moving accounts' entries it was built from. */
export async function allShardsAndMoves(
  env: object,
  catalog: D1Database,
): Promise<{ targets: ShardTarget[]; moving: DirectoryEntry[] }> {
  const [moving, legacy] = await Promise.all([movingAccounts(catalog), legacyShardInUse(catalog)]);
  const names = [...(legacy ? [CATALOG_SHARD] : []), ...shardNames(env)];
  return { targets: targetsOf(env, names, moving), moving };
}

/** The home shards of `entries` (directory rows), each told to skip the moving accounts it is not home to. */
export function entryShardTargets(env: object, entries: readonly DirectoryEntry[]): ShardTarget[] {
  const names = [...new Set(entries.map((e) => e.shard))];
  return targetsOf(
    env,
    names,
    entries.filter((e) => e.moveState !== null),
  );
}

function targetsOf(env: object, names: readonly string[], moving: readonly DirectoryEntry[]): ShardTarget[] {
  const skip = notHomeByShard(moving);
  return names.map((name) => ({ name, db: shardDb(env, name), skip: skip.get(name) ?? [] }));
}

/** The scope of a gig list: which shards, and what its freshness headers describe. */
export type GigReadScope =
  | { kind: "account"; account: string; entry: DirectoryEntry | null; targets: ShardTarget[] }
  | { kind: "user"; user: string; entries: DirectoryEntry[]; targets: ShardTarget[] }
  | { kind: "all"; targets: ShardTarget[] };

/**
 * Resolves a list's filters to shards. An account filter wins over a user filter (the account's
 * one shard, still filtered by user there); an account or user the directory does not know has
 * no rows anywhere: no shard to read, an empty page.
 */
export async function gigReadScope(
  env: object,
  catalog: D1Database,
  filters: { account?: string; user?: string },
): Promise<GigReadScope> {
  if (filters.account !== undefined) {
    const entry = await lookupAccount(catalog, filters.account);
    return { kind: "account", account: filters.account, entry, targets: entry ? entryShardTargets(env, [entry]) : [] };
  }
  if (filters.user !== undefined) {
    const entries = await accountsOfUser(catalog, filters.user);
    return { kind: "user", user: filters.user, entries, targets: entryShardTargets(env, entries) };
  }
  return { kind: "all", targets: await allShardTargets(env, catalog) };
}
