/**
 * The jobs queue's batch handler: runs every message under one shared subrequest budget and
 * connection cap, then settles each message on its own: acked once its work is committed,
 * retried with its own delay, continued as a new message, or dead-lettered. One message's
 * failure never makes another's finished work run again.
 * @module
 */

import { backoffSeconds } from "../shared/backoff.ts";
import { createLimiter, SubrequestBudget } from "../shared/budget.ts";
import { describeError } from "../shared/errors.ts";
import { sendJobs } from "../shared/ingest.ts";
import { type Job, parseJob } from "../shared/jobs.ts";
import { logError, logInfo, logWarn } from "../shared/log.ts";
import { readConfig } from "./config.ts";
import type { ConsumerEnv } from "./env.ts";
import type { JobContext, Outcome } from "./job-context.ts";
import { runJob } from "./run-job.ts";

interface Settled {
  message: Message<unknown>;
  /** Follow-up work that must be on a queue before this message may be acked. */
  continuation?: Job | undefined;
  deadLetter?: { body: unknown } | undefined;
}

export async function handleJobs(batch: MessageBatch<unknown>, env: ConsumerEnv): Promise<void> {
  const config = readConfig(env);
  // Keep subrequests back for the sends that settle the batch: continuations and dead letters.
  const reserved = 1 + Math.ceil(batch.messages.length / 50) + 1;
  const budget = new SubrequestBudget(config.maxSubrequests - reserved);
  const limit = createLimiter(config.maxConcurrency);
  const base = { db: env.DB, config, budget, limit, now: Date.now };

  const settled = await Promise.all(
    batch.messages.map((message) => runMessage(message, { ...base, attempts: message.attempts })),
  );

  const continuations = settled.filter((s) => s.continuation);
  const deadLetters = settled.filter((s) => s.deadLetter);
  const [continued, deadLettered] = await Promise.all([
    trySend("continuations", continuations.length, () =>
      sendJobs(
        env.JOBS,
        continuations.flatMap((s) => (s.continuation ? [s.continuation] : [])),
      ),
    ),
    trySend("dead letters", deadLetters.length, () =>
      env.DEAD_LETTERS.sendBatch(deadLetters.map((s) => ({ body: s.deadLetter?.body, contentType: "json" }))),
    ),
  ]);
  for (const s of settled) {
    if (!s.continuation && !s.deadLetter) continue;
    // If the queue refused the follow-up, redeliver the message: its committed work is skipped
    // next time (freshness, checkpoints), and nothing is lost.
    if ((s.continuation && !continued) || (s.deadLetter && !deadLettered)) {
      s.message.retry({ delaySeconds: backoffSeconds(s.message.attempts, config.backoff) });
    } else {
      s.message.ack();
    }
  }
  logInfo("batch", { queue: batch.queue, messages: batch.messages.length, subrequests: budget.used });
}

async function trySend(what: string, count: number, send: () => Promise<unknown>): Promise<boolean> {
  if (count === 0) return true;
  try {
    await send();
    return true;
  } catch (error) {
    logWarn(`could not queue ${what}; their messages will be redelivered`, { count, error: describeError(error) });
    return false;
  }
}

async function runMessage(message: Message<unknown>, ctx: JobContext): Promise<Settled> {
  const parsed = parseJob(message.body);
  if (!parsed.success) {
    logError("invalid job message: dead-lettered", { message_id: message.id, issue: parsed.issues[0]?.message });
    return { message, deadLetter: { body: message.body } };
  }
  const job = parsed.output;
  const started = Date.now();
  let outcome: Outcome;
  try {
    outcome = await runJob(job, ctx);
  } catch (error) {
    // A bug, not Argyle: retry this message alone, and say so loudly.
    logError("job runner threw", { job_id: job.job_id, error: describeError(error) });
    outcome = {
      type: "retry",
      delaySeconds: backoffSeconds(ctx.attempts, ctx.config.backoff),
      reason: "transient",
      error: describeError(error),
      stats: { requests: 0, stored: 0, removed: 0, skippedFresh: 0, failed: 0 },
    };
  }
  logOutcome(job, outcome, ctx.attempts, Date.now() - started);

  if (outcome.type === "retry") {
    message.retry({ delaySeconds: outcome.delaySeconds });
    return { message };
  }
  if (outcome.continuation || outcome.deadLetter) {
    return {
      message,
      continuation: outcome.continuation,
      deadLetter: outcome.deadLetter ? { body: outcome.deadLetter.job } : undefined,
    };
  }
  // Done: ack now, so a later failure in this batch cannot make this work run again.
  message.ack();
  return { message };
}

function logOutcome(job: Job, outcome: Outcome, attempt: number, ms: number): void {
  const fields = {
    job_id: job.job_id,
    kind: job.kind,
    account: job.account,
    attempt,
    outcome: outcome.type === "retry" ? "retry" : outcome.continuation ? "continued" : "done",
    requests: outcome.stats.requests,
    stored: outcome.stats.stored,
    removed: outcome.stats.removed,
    skipped_fresh: outcome.stats.skippedFresh,
    failed: outcome.stats.failed,
    ms,
  };
  if (outcome.type === "retry") {
    const log = outcome.reason === "auth" ? logError : logWarn;
    log(outcome.reason === "auth" ? "argyle refused our credentials: check the consumer's API key" : "job will retry", {
      ...fields,
      reason: outcome.reason,
      error: outcome.error,
      delay_seconds: outcome.delaySeconds,
    });
    return;
  }
  if (outcome.deadLetter) {
    logError("job failed for good: dead-lettered", {
      ...fields,
      reason: outcome.deadLetter.reason,
      error: outcome.deadLetter.error,
    });
  }
  logInfo("job", { ...fields, note: outcome.note });
}
