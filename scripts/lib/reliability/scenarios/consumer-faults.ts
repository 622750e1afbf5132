/**
 * Faults inside the consumer: its D1 calls fail (batches included, some after committing), and
 * the Worker dies part-way through a batch of several messages. Queue redelivery and the jobs'
 * idempotence must bring the mirror to Argyle's state, refetching only what the faults lost.
 * @module
 */
import {
  combine,
  crashes,
  isConsumerD1Batch,
  isConsumerD1Read,
  isConsumerQueue,
  randomFailures,
} from "../fault-rules.ts";
import { JOBS_QUEUE } from "../pipeline.ts";
import type { Scenario } from "../scenario.ts";
import { runChanges } from "./changes.ts";

const TEST_FILE = "test/node/pipeline/consumer-faults.test.ts";

export const CONSUMER_SCENARIOS: Scenario[] = [
  {
    id: "consumer-d1-fails",
    title: "Consumer: 25 % of D1 batches fail (a third after committing), 10 % of reads, 30 % of queue sends",
    testFile: TEST_FILE,
    defaultSeed: 2101,
    run: (ctx) =>
      runChanges(ctx, {
        rule: (r) =>
          combine(
            randomFailures(r, { match: isConsumerD1Batch, rate: 0.25, afterShare: 1 / 3 }),
            randomFailures(r, { match: isConsumerD1Read, rate: 0.1 }),
            // Continuations and dead letters: a refused send must redeliver the message.
            randomFailures(r, { match: isConsumerQueue, rate: 0.3, afterShare: 1 / 3 }),
          ),
        // Dead-lettering runs under the same faults.
        permanent: 2,
        // The smallest budget and pages: backfills go on in many continuation messages, so the
        // consumer's own sends happen often enough to fail.
        consumerVars: { MAX_SUBREQUESTS: "10", ARGYLE_PAGE_SIZE: "10" },
      }),
  },
  {
    id: "consumer-crash-mid-batch",
    title: "Consumer: the Worker dies part-way through 30 % of batches of up to 4 messages",
    testFile: TEST_FILE,
    defaultSeed: 2102,
    run: (ctx) =>
      runChanges(ctx, {
        rule: (r) => crashes(r, 0.3, 3),
        queueOverrides: { [JOBS_QUEUE]: { maxBatchSize: 4, maxBatchTimeout: 0.05, retryDelay: 0 } },
      }),
  },
];
