/**
 * Gig shards are D1 bindings named SHARD_1, SHARD_2, ... in both wrangler configs. Adding capacity
 * is adding a binding: the code finds shards by name, so no code changes. The catalog (binding DB)
 * also answers as shard "DB" for accounts stored before sharding (migration 0011).
 * @module
 */

/** The catalog's binding, and its name as the legacy shard. */
export const CATALOG_SHARD = "DB";

const SHARD_BINDING = /^SHARD_([1-9]\d*)$/;

/** Any env carrying D1 bindings: the shard ones are looked up by name. */
export type ShardEnv = { DB: D1Database } & { [binding: `SHARD_${number}`]: D1Database | undefined };

/** Whether `name` is a gig shard binding's name (SHARD_<n>, n ≥ 1). */
export function isShardBinding(name: string): boolean {
  return SHARD_BINDING.test(name);
}

/** The gig shard bindings present in `env`, in numeric order (SHARD_2 before SHARD_10). */
export function shardNames(env: object): string[] {
  return Object.keys(env)
    .filter((key) => SHARD_BINDING.test(key) && isD1((env as Record<string, unknown>)[key]))
    .sort((a, b) => shardNumber(a) - shardNumber(b));
}

function shardNumber(name: string): number {
  return Number(SHARD_BINDING.exec(name)?.[1] ?? 0);
}

function isD1(value: unknown): value is D1Database {
  return typeof value === "object" && value !== null && typeof (value as D1Database).prepare === "function";
}

/**
 * The database behind shard `name`: a SHARD_n binding, or the catalog for "DB". Throws for a name
 * the directory holds but this deployment has no binding for: a config error that must not be
 * mistaken for an empty shard.
 */
export function shardDb(env: object, name: string): D1Database {
  const db = (env as Record<string, unknown>)[name];
  if ((name === CATALOG_SHARD || SHARD_BINDING.test(name)) && isD1(db)) return db;
  throw new Error(`shard ${name} has no D1 binding in this Worker: add it to wrangler.toml and wrangler.consumer.toml`);
}
