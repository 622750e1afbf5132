/**
 * Test build of the consumer: the real Worker, handed a D1 database and queues that fail when the
 * test process says so, with each batch reported (what arrived, how each message was settled) so
 * the test knows when the queues are empty. A `crash` decision kills the invocation the way an
 * exceeded limit does: its later calls fail, its acks and retries are lost, and the handler throws,
 * so the queue redelivers the whole batch. Retry delays longer than the test allows are shortened
 * (time compression); the delays asked for are reported. Bundled only by the reliability suites.
 * @module
 */
import type { ConsumerEnv } from "../../../../src/consumer/env.ts";
import consumer from "../../../../src/consumer/index.ts";
import type { BatchSettings, MessageOutcome } from "../fault-protocol.ts";
import { describeJob, faultyD1, faultyQueue, faultyShards } from "./faulty-bindings.ts";
import { Invocation, SimulatedCrash } from "./invocation.ts";

type Env = ConsumerEnv & { FAULTS: Fetcher };

function faultyEnv(env: Env, invocation: Invocation): ConsumerEnv {
  return {
    ...env,
    DB: faultyD1(env.DB, invocation),
    ...faultyShards(env, invocation),
    JOBS: faultyQueue(env.JOBS, "JOBS", invocation),
    DEAD_LETTERS: faultyQueue(env.DEAD_LETTERS, "DEAD_LETTERS", invocation),
  };
}

export default {
  async queue(batch, env) {
    const invocation = new Invocation("consumer", env.FAULTS);
    const settings = await invocation.report<BatchSettings>({
      type: "batch-start",
      queue: batch.queue,
      invocation: invocation.id,
      messages: batch.messages.map((m) => ({ id: m.id, attempts: m.attempts, ...describeJob(m.body) })),
    });
    const outcomes = new Map<string, MessageOutcome>(
      batch.messages.map((m) => [m.id, { id: m.id, outcome: "none", requestedDelaySeconds: null }]),
    );
    const compress = (seconds: number) =>
      settings.maxDelaySeconds === null ? seconds : Math.min(seconds, settings.maxDelaySeconds);
    const settle = (id: string, outcome: MessageOutcome["outcome"], delay: number | null, apply: () => void) => {
      // After a crash nothing the handler does reaches the queue.
      if (invocation.crashed) return;
      outcomes.set(id, { id, outcome, requestedDelaySeconds: delay });
      apply();
    };
    const messages = batch.messages.map(
      (m): Message<unknown> => ({
        id: m.id,
        timestamp: m.timestamp,
        body: m.body,
        attempts: m.attempts,
        ack: () => settle(m.id, "ack", null, () => m.ack()),
        retry: (options) =>
          settle(m.id, "retry", options?.delaySeconds ?? null, () =>
            m.retry(options?.delaySeconds === undefined ? options : { delaySeconds: compress(options.delaySeconds) }),
          ),
      }),
    );
    const watched: MessageBatch<unknown> = {
      queue: batch.queue,
      metadata: batch.metadata,
      messages,
      ackAll: () => {
        for (const m of messages) m.ack();
      },
      retryAll: (options) => {
        for (const m of messages) m.retry(options);
      },
    };
    let failure: unknown = null;
    try {
      await consumer.queue(watched, faultyEnv(env, invocation));
    } catch (error) {
      failure = error;
    }
    if (invocation.crashed && failure === null) failure = new SimulatedCrash();
    await invocation.report({
      type: "batch-end",
      queue: batch.queue,
      invocation: invocation.id,
      outcomes: [...outcomes.values()],
      threw: failure !== null,
    });
    if (failure !== null) throw failure;
  },

  async scheduled(controller, env) {
    const invocation = new Invocation("consumer", env.FAULTS);
    await consumer.scheduled(controller, faultyEnv(env, invocation));
  },
} satisfies ExportedHandler<Env, unknown>;
