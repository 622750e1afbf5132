// Test-only bindings added by vitest.config.ts, on top of each Worker's own.
import type { D1Migration } from "@cloudflare/vitest-plugin";
import type { ConsumerEnv } from "../../src/consumer/env.ts";
import type { ReceiverEnv } from "../../src/receiver/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends ReceiverEnv, Omit<ConsumerEnv, keyof ReceiverEnv> {
      TEST_MIGRATIONS: D1Migration[];
      /** migrations-shard/, applied to every SHARD_n binding. */
      TEST_SHARD_MIGRATIONS: D1Migration[];
    }
  }
}
