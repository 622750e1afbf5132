// Setup file: brings each test file's isolated D1 up to the current schema before its tests run.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
// Gig shards (consumer project): their own migrations folder.
for (const name of ["SHARD_1", "SHARD_2"] as const) {
  const shard = (env as unknown as Record<string, D1Database | undefined>)[name];
  if (shard && env.TEST_SHARD_MIGRATIONS) await applyD1Migrations(shard, env.TEST_SHARD_MIGRATIONS);
}
