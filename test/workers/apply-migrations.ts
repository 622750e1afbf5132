// Setup file: brings each test file's isolated catalog (DB) and every gig shard (SHARD_n) up to
// their current schemas before its tests run.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { shardDb, shardNames } from "../../src/domain/shards/bindings.ts";

await Promise.all([
  applyD1Migrations(env.DB, env.TEST_MIGRATIONS),
  ...shardNames(env).map((name) => applyD1Migrations(shardDb(env, name), env.TEST_SHARD_MIGRATIONS)),
]);
