// Setup file: brings each test file's isolated D1 up to the current schema before its tests run.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { shardDb, shardNames } from "../../src/domain/shards/bindings.ts";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// Every gig shard (SHARD_1, SHARD_2, ...) gets the shard schema.
for (const name of shardNames(env)) {
  await applyD1Migrations(shardDb(env, name), env.TEST_SHARD_MIGRATIONS);
}
