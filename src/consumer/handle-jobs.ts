/**
 * The jobs queue's batch handler: runs every message under one shared subrequest budget and
 * connection cap, then settles each message on its own: acked once its work is committed,
 * retried with its own delay, continued as a new message, or dead-lettered. One message's
 * failure never makes another's finished work run again.
 * @module
 */

import { backoffSeconds } from "../domain/backoff.ts";
import { createLimiter, SubrequestBudget } from "../domain/budget.ts";
import { describeError } from "../domain/errors.ts";
import { type Job, parseJob, toSendBatches } from "../domain/jobs.ts";
import { logError, logInfo, logWarn } from "../domain/log.ts";
import { ConfigError, type ConsumerConfig, readConfig } from "./config.ts";
import { noteD1Retry } from "./d1-retries.ts";
import { shouldNoteD1Retry } from "./dead-letter-retry.ts";
import type { ConsumerEnv } from "./env.ts";
import { emptyStats, type JobContext, type Outcome } from "./job-context.ts";
import { runJob } from "./run-job.ts";

interface Settled {
  message: Message<unknown>;
  /** Follow-up work that must be on a queue before this message may be acked. */
  continuation?: Job | undefined;
  continuationDelaySeconds?: number | undefined;
  deadLetter?: { body: unknown } | undefined;
}

/**
 * How long jobs wait while the consumer's config is refused: long enough that a deploy fixing it
 * lands before the queue's 20 attempts run out (about 3 hours), short enough to resume soon after.
 */
export const CONFIG_RETRY_SECONDS = 600;

export async function handleJobs(batch: MessageBatch<unknown>, env: ConsumerEnv): Promise<void> {
  let config: ConsumerConfig;
  try {
    config = readConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // A config that cannot be right (e.g. ARGYLE_API_URL without /v2) must not act at all: every
    // 404 it produced could read as "removed". Nothing runs; every message waits for the fix.
    logError("consumer config refused: jobs wait until it is fixed", {
      error: error.message,
      messages: batch.messages.length,
      delay_seconds: CONFIG_RETRY_SECONDS,
    });
    for (const message of batch.messages) message.retry({ delaySeconds: CONFIG_RETRY_SECONDS });
    return;
  }
  // Keep subrequests back for the sends that settle the batch: continuations (a sendBatch holds
  // 256 KB, about 50 continuations of the largest kind, a backfill with its cursor URL) and
  // dead letters (one sendBatch).
  const reserved = Math.ceil(batch.messages.length / 50) + 1;
  const budget = new SubrequestBudget(config.maxSubrequests - reserved);
  const limit = createLimiter(config.maxConcurrency);
  const pages = new SubrequestBudget(config.maxPagesPerInvocation);
  const base = { db: env.DB, shard: "DB", catalog: env.DB, env, config, budget, pages, limit, now: Date.now };

  const settled = await Promise.all(
    batch.messages.map((message) => runMessage(message, { ...base, attempts: message.attempts })),
  );

  // The sends may use the reserve and whatever the jobs left of the budget; a follow-up that does
  // not fit, like one the queue refuses, gets its message redelivered instead.
  const sendBudget = new SubrequestBudget(budget.remaining + reserved);
  const continued = await sendWithin(env.JOBS, "continuations", settled, continuationMessage, sendBudget);
  const deadLettered = await sendWithin(env.DEAD_LETTERS, "dead letters", settled, deadLetterMessage, sendBudget);
  for (const s of settled) {
    if (!s.continuation && !s.deadLetter) continue;
    // If the follow-up is not on its queue, redeliver the message: its committed work is skipped
    // next time (freshness, checkpoints), and nothing is lost.
    if ((s.continuation && !continued.has(s)) || (s.deadLetter && !deadLettered.has(s))) {
      s.message.retry({ delaySeconds: backoffSeconds(s.message.attempts, config.backoff) });
    } else {
      s.message.ack();
    }
  }
  logInfo("batch", {
    queue: batch.queue,
    messages: batch.messages.length,
    subrequests: budget.used + sendBudget.used,
  });
}

type FollowUp = { body: unknown; contentType: "json"; delaySeconds?: number };

function continuationMessage(item: Settled): FollowUp | undefined {
  if (!item.continuation) return undefined;
  const delay = item.continuationDelaySeconds;
  return { body: item.continuation, contentType: "json", ...(delay ? { delaySeconds: delay } : {}) };
}

/** A message's dead letter, if it has one (an unreadable message's body may be anything). */
function deadLetterMessage(item: Settled): FollowUp | undefined {
  return item.deadLetter ? { body: item.deadLetter.body ?? null, contentType: "json" } : undefined;
}

/** Sends each item's follow-up (those with one) in as few batches as fit `budget`; returns those sent. */
async function sendWithin(
  queue: Queue<unknown>,
  what: string,
  items: Settled[],
  messageOf: (item: Settled) => FollowUp | undefined,
  budget: SubrequestBudget,
): Promise<Set<Settled>> {
  const sent = new Set<Settled>();
  const pending = items.filter((item) => messageOf(item) !== undefined);
  for (const group of toSendBatches(pending, (item) => messageOf(item)?.body)) {
    if (!budget.take()) {
      logWarn(`no subrequests left to queue ${what}; their messages will be redelivered`, { count: group.length });
      break;
    }
    try {
      await queue.sendBatch(group.flatMap((item) => messageOf(item) ?? []));
      for (const item of group) sent.add(item);
    } catch (error) {
      logWarn(`could not queue ${what}; their messages will be redelivered`, {
        count: group.length,
        error: describeError(error),
      });
    }
  }
  return sent;
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
      stats: emptyStats(),
    };
  }
  logOutcome(job, outcome, ctx.attempts, Date.now() - started);

  if (outcome.type === "retry") {
    // Noted in the catalog, so the dead-letter consumer puts the job back instead of failing it.
    if (outcome.reason === "d1" && shouldNoteD1Retry(ctx.attempts) && ctx.budget.take()) {
      await noteD1Retry(ctx.catalog, job, ctx.attempts, outcome.error);
    }
    message.retry({ delaySeconds: outcome.delaySeconds });
    return { message };
  }
  if (outcome.continuation || outcome.deadLetter) {
    return {
      message,
      continuation: outcome.continuation,
      continuationDelaySeconds: outcome.continuationDelaySeconds,
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
