/**
 * What a job runner gets (shared limits and clients for one invocation) and what it returns.
 * @module
 */
import type { ArgyleErrorKind } from "../domain/argyle-client.ts";
import type { SubrequestBudget } from "../domain/budget.ts";
import type { Job } from "../domain/jobs.ts";
import type { ConsumerConfig } from "./config.ts";

export interface JobContext {
  db: D1Database;
  /** The catalog (binding DB): events, failures, the directory, purge records. */
  catalog: D1Database;
  /** The Worker's bindings, for work reaching shards other than the job's home (a purge during a move). */
  bindings: object;
  config: ConsumerConfig;
  /** Subrequests left in this invocation, shared by every message of the batch. */
  budget: SubrequestBudget;
  /** Listing pages left in this invocation (the CPU bound), shared by every message of the batch. */
  pages: SubrequestBudget;
  /** Caps Argyle requests in flight across the whole batch. */
  limit: <T>(task: () => Promise<T>) => Promise<T>;
  /** This delivery's attempt number (1 on first delivery). */
  attempts: number;
  now: () => number;
}

/** Counts for the per-job log line. */
export interface JobStats {
  requests: number;
  stored: number;
  removed: number;
  skippedFresh: number;
  failed: number;
}

export type FailureReason = ArgyleErrorKind | "d1";

/**
 * `ack`: the message is finished; optionally a continuation carries the rest of its work (budget
 * spent) and a dead letter carries what failed for good. `retry`: redeliver the whole message
 * after `delaySeconds`; what already succeeded is skipped next time (freshness, checkpoints).
 */
export type Outcome =
  | {
      type: "ack";
      continuation?: Job | undefined;
      /** Deliver the continuation after this long (a walk carrying on after a failed page). */
      continuationDelaySeconds?: number | undefined;
      deadLetter?: { job: Job; reason: FailureReason; error: string } | undefined;
      note?: string;
      stats: JobStats;
    }
  | { type: "retry"; delaySeconds: number; reason: FailureReason; error: string; stats: JobStats };

export function emptyStats(): JobStats {
  return { requests: 0, stored: 0, removed: 0, skippedFresh: 0, failed: 0 };
}

/** The id for a message carrying on from `jobId`: `<root>~<n+1>`. */
export function continuationId(jobId: string): string {
  const match = /^(.*)~(\d+)$/.exec(jobId);
  if (match) return `${match[1]}~${Number(match[2]) + 1}`;
  return `${jobId}~1`;
}

/** The oldest gig start GIG_RETENTION_DAYS keeps, or null when gigs are kept forever. */
export function retentionFloorMs(ctx: JobContext): number | null {
  const days = ctx.config.gigRetentionDays;
  return days === null ? null : ctx.now() - days * 86_400_000;
}
