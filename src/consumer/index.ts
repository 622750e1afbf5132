/**
 * The consumer Worker: the jobs queue, its dead-letter queue, and the maintenance cron. Wiring only.
 * @module
 */

import type { ConsumerEnv } from "./env.ts";
import { handleDeadLetters } from "./handle-dead-letters.ts";
import { handleJobs } from "./handle-jobs.ts";
import { runMaintenance } from "./maintenance.ts";

/** Dead-letter queues are named after their queue with this suffix (see wrangler.consumer.toml). */
const DEAD_LETTER_SUFFIX = "-dlq";

export default {
  async queue(batch, env) {
    if (batch.queue.endsWith(DEAD_LETTER_SUFFIX)) await handleDeadLetters(batch, env);
    else await handleJobs(batch, env);
  },
  async scheduled(controller, env) {
    // Everything the cron does, alerts included, so its log line counts every row the run read.
    await runMaintenance(env, controller.scheduledTime);
  },
} satisfies ExportedHandler<ConsumerEnv, unknown>;
