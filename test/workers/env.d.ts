// Test-only bindings added by vitest.config.ts, on top of each Worker's own.
import type { D1Migration } from "@cloudflare/vitest-plugin";
import type { ConsumerEnv } from "../../src/consumer/env.ts";
import type { ReceiverEnv } from "../../src/receiver/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends ReceiverEnv, Omit<ConsumerEnv, keyof ReceiverEnv> {
      TEST_MIGRATIONS: D1Migration[];
      /** Receiver project only: the shard schema for SHARD_1..SHARD_3. */
      TEST_SHARD_MIGRATIONS?: D1Migration[];
      SHARD_1?: D1Database;
      SHARD_2?: D1Database;
      SHARD_3?: D1Database;
    }
  }
}
