// Test-only bindings added by vitest.config.ts, on top of each Worker's own.
import type { D1Migration } from "@cloudflare/vitest-plugin";
import type { ConsumerEnv } from "../../src/consumer/env.ts";
import type { ReceiverEnv } from "../../src/receiver/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends ReceiverEnv, Omit<ConsumerEnv, keyof ReceiverEnv> {
      TEST_MIGRATIONS: D1Migration[];
      /** Consumer project only: migrations-shard/, applied to SHARD_1 and SHARD_2. */
      TEST_SHARD_MIGRATIONS?: D1Migration[];
      SHARD_1?: D1Database;
      SHARD_2?: D1Database;
    }
  }
}
