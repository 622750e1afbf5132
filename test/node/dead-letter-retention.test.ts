/**
 * Dead letters never expire unseen: however long D1 refuses to record a dead letter, the DLQ
 * consumer's retries (wrangler.consumer.toml's max_retries and batch timeout, with the delays of
 * src/consumer/dead-letter-retry.ts) end before the queue's retention drops the message. The
 * retention the deploy sets is the one the README's deploy steps pass to wrangler.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { experimental_readRawConfig } from "wrangler";
import { ROOT } from "../../scripts/lib/common/stack.ts";
import { JOBS_MAX_RETRIES, QUEUE_RETENTION_SECONDS, recordRetrySeconds } from "../../src/consumer/dead-letter-retry.ts";

interface QueueConsumer {
  queue: string;
  max_retries?: number;
  max_batch_timeout?: number;
  dead_letter_queue?: string;
}

/** Every environment's queue consumers, by environment. */
function consumersByEnv(): [string, QueueConsumer[]][] {
  const { rawConfig } = experimental_readRawConfig({ config: path.join(ROOT, "wrangler.consumer.toml") });
  const envs = (rawConfig.env ?? {}) as Record<string, { queues?: { consumers?: QueueConsumer[] } }>;
  return [
    ["top level", (rawConfig.queues?.consumers ?? []) as QueueConsumer[]],
    ...Object.entries(envs).map(([name, env]): [string, QueueConsumer[]] => [name, env.queues?.consumers ?? []]),
  ];
}

describe("dead-letter queue retention", () => {
  it.each(consumersByEnv())(
    "%s: the jobs queue's max_retries is the one D1 retries are noted against",
    (_env, consumers) => {
      const jobs = consumers.find((c) => c.dead_letter_queue);
      expect(jobs?.max_retries).toBe(JOBS_MAX_RETRIES);
    },
  );

  it.each(consumersByEnv())("%s: the DLQ's worst-case retries end inside the queue's retention", (_env, consumers) => {
    const dlqName = consumers.find((c) => c.dead_letter_queue)?.dead_letter_queue;
    const dlq = consumers.find((c) => c.queue === dlqName);
    expect(dlq?.max_retries).toBeGreaterThan(0);
    const retries = dlq?.max_retries ?? 0;
    // Every delivery but the last waits its retry delay; every delivery may wait a batch timeout.
    let worstSeconds = (retries + 1) * (dlq?.max_batch_timeout ?? 0);
    for (let attempt = 1; attempt <= retries; attempt++) worstSeconds += recordRetrySeconds(attempt);
    expect(worstSeconds).toBeLessThan(QUEUE_RETENTION_SECONDS);
  });

  it("the README's deploy steps create every queue with that retention", async () => {
    const readme = await readFile(path.join(ROOT, "README.md"), "utf8");
    const creates = [...readme.matchAll(/wrangler queues create (\S+)([^\n]*)/g)];
    expect(creates.length).toBeGreaterThanOrEqual(2);
    for (const [, , flags] of creates) {
      expect(flags).toContain(`--message-retention-period-secs ${QUEUE_RETENTION_SECONDS}`);
    }
  });
});
