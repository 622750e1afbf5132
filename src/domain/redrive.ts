/**
 * Redrive of dead-lettered work: a failure's stored job goes back on the jobs queue as a fresh
 * message, and the failure is marked redriven. The job is sent before it is marked, so a fault
 * can at worst repeat work (jobs are idempotent), never mark work done that was not queued.
 * @module
 */
import * as v from "valibot";
import { describeError, UnavailableError } from "./errors.ts";
import { type IngestDeps, sendJobs } from "./ingest.ts";
import { webhookArrivedAt } from "./job-dating.ts";
import { type Job, parseJob } from "./jobs.ts";
import { logError, logInfo, logWarn } from "./log.ts";
import { getFailure, markRedriven } from "./storage/failures.ts";
import { parseJsonColumn } from "./storage/query.ts";
import type { Issue } from "./webhook-schema.ts";

export type RedriveResult =
  | { outcome: "redriven"; jobId: string; redrivenAt: string }
  | { outcome: "not_found" }
  | { outcome: "already_redriven"; redrivenAt: string | null }
  | { outcome: "invalid_job"; issues: Issue[] };

/** Same cap as the job schema's `job_id`. */
const MAX_JOB_ID_LENGTH = 200;

/**
 * Re-enqueues exactly the failure's job, with a new `job_id` (so the consumer's attempt log starts
 * over), still dated by its webhook's arrival: gigs fetched since then are fresher than anything
 * the job could do, and a removal dated "now" would undo a gig Argyle has since served alive. Throws
 * `UnavailableError` if the queue refuses it (nothing is marked) or if marking fails after sending.
 */
export async function redriveFailure(deps: IngestDeps, id: string, now: Date = new Date()): Promise<RedriveResult> {
  const failure = await getFailure(deps.db, id);
  if (!failure) return { outcome: "not_found" };
  if (failure.status !== "open") return { outcome: "already_redriven", redrivenAt: failure.redriven_at };
  const parsed = parseJob(parseJsonColumn(failure.job));
  if (!parsed.success) {
    return {
      outcome: "invalid_job",
      issues: parsed.issues.slice(0, 20).map((issue) => ({ path: v.getDotPath(issue) ?? "", message: issue.message })),
    };
  }
  const redrivenAt = now.toISOString();
  const job: Job = {
    ...parsed.output,
    job_id: redriveJobId(parsed.output.job_id, now.getTime()),
    received_at: webhookArrivedAt({ job: parsed.output }),
    origin: "redrive",
    // A dead-lettered backfill's pass was marked failed: redrive as a new, complete pass.
    ...(parsed.output.kind === "backfill" ? { pass: null, cursor: null } : {}),
  };
  try {
    await sendJobs(deps.jobs, [job]);
  } catch (cause) {
    throw new UnavailableError("queue", { cause });
  }
  let marked: boolean;
  try {
    marked = await markRedriven(deps.db, id, redrivenAt);
  } catch (cause) {
    // The job is queued but the failure still reads "open": a retry of the redrive repeats
    // idempotent work, which beats reporting success for bookkeeping that did not happen.
    logError("redrive sent but not marked", { id, job_id: job.job_id, error: describeError(cause) });
    throw new UnavailableError("d1", { cause });
  }
  if (!marked) logWarn("failure redriven concurrently; its job was queued twice", { id, job_id: job.job_id });
  logInfo("failure redriven", { id, job_id: job.job_id, kind: job.kind, account: job.account });
  return { outcome: "redriven", jobId: job.job_id, redrivenAt };
}

/**
 * `<job_id>.r<ms in base 36>`, replacing earlier redrive and dead-letter suffixes so that work
 * failing and redriven again and again does not grow the id; cut to the schema's 200 characters.
 */
export function redriveJobId(jobId: string, nowMs: number): string {
  const suffix = `.r${nowMs.toString(36)}`;
  const base = jobId.replace(/(~dead|\.r[0-9a-z]+)+$/, "");
  return base.slice(0, MAX_JOB_ID_LENGTH - suffix.length) + suffix;
}
