/**
 * Three test projects: the receiver and the consumer run inside workerd (the Workers runtime)
 * with real local D1 and Queues via @cloudflare/vitest-plugin; `node` runs Node-side tests
 * (CLIs, schema/migrations, whole-pipeline runs through miniflare).
 */
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const migrations = await readD1Migrations("./migrations");
const shardMigrations = await readD1Migrations("./migrations-shard");

/** Secrets the workerd tests run with; tests that need them unset override per request. */
const TEST_SECRETS = {
  ARGYLE_WEBHOOK_SECRET: "test-webhook-secret",
  API_TOKEN: "test-api-token",
  ARGYLE_API_KEY_ID: "test-key-id",
  ARGYLE_API_KEY_SECRET: "test-key-secret",
};

export default defineConfig({
  test: {
    // Logs of passing tests are noise; a failing test still prints everything it logged.
    silent: "passed-only",
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ...TEST_SECRETS, TEST_MIGRATIONS: migrations } },
          }),
        ],
        test: {
          name: "receiver",
          include: ["test/workers/receiver/**/*.test.ts", "test/workers/domain/**/*.test.ts"],
          setupFiles: ["test/workers/apply-migrations.ts"],
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.consumer.toml" },
            miniflare: {
              bindings: {
                ...TEST_SECRETS,
                TEST_MIGRATIONS: migrations,
                TEST_SHARD_MIGRATIONS: shardMigrations,
                ARGYLE_API_URL: "https://argyle.test/v2",
                // Retries in tests should not wait minutes.
                RETRY_BASE_SECONDS: "1",
                RETRY_MAX_SECONDS: "2",
              },
              // Two gig shards (the tooling branch brings them in wrangler.consumer.toml).
              d1Databases: ["SHARD_1", "SHARD_2"],
              // Deliver queued messages promptly in the queue round-trip tests.
              queueConsumers: {
                "argyle-gig-jobs": { maxBatchTimeout: 0.05, retryDelay: 0 },
                "argyle-gig-jobs-dlq": { maxBatchTimeout: 0.05, retryDelay: 0 },
              },
            },
          }),
        ],
        test: {
          name: "consumer",
          include: ["test/workers/consumer/**/*.test.ts"],
          setupFiles: ["test/workers/apply-migrations.ts"],
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
