/**
 * Gig shards in workerd tests: every SHARD_n bound (vitest.config.ts binds 3), migrated by
 * apply-migrations.ts. Tests that start from empty tables empty the shards too, so a row a
 * previous test placed on a shard cannot leak into the next.
 */
import { env } from "cloudflare:workers";
import { shardDb, shardNames } from "../../src/domain/shards/bindings.ts";

/** The tables of schema.shard.sql. */
const SHARD_TABLES = ["gigs", "accounts", "purged_accounts", "account_fences"];

export async function clearShards(): Promise<void> {
  await Promise.all(
    shardNames(env).map((name) => {
      const db = shardDb(env, name);
      return db.batch(SHARD_TABLES.map((t) => db.prepare(`DELETE FROM ${t}`)));
    }),
  );
}
