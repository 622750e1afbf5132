// Setup file: brings each test file's isolated D1 up to the current schema before its tests run.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
for (const shard of ["SHARD_1", "SHARD_2", "SHARD_3"] as const) {
  await applyD1Migrations(env[shard], env.TEST_SHARD_MIGRATIONS);
}
