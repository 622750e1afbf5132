/**
 * Gigs Argyle listed but served invalid (e.g. a required field missing). The rest of their page
 * is stored; these are recorded in `failures` in the same write, as a fetch job for exactly
 * those IDs, so an operator sees them and can redrive them once Argyle serves them whole. Items
 * with no valid ID at all are recorded too, as the listing job itself.
 * @module
 */
import { newTimeOrderedId } from "../domain/ids.ts";
import { type BackfillJob, type FetchGigsJob, JOB_VERSION, type ListWindowJob } from "../domain/jobs.ts";
import { logError } from "../domain/log.ts";
import { insertFailureStatement } from "../domain/storage/job-failures.ts";

/** The job schema's limit: at most 1000 IDs. */
const MAX_IDS = 1000;

/** The failure-row statement for a page's invalid gigs, or none when the page had none. */
export function invalidGigStatements(
  db: D1Database,
  job: ListWindowJob | BackfillJob,
  invalid: readonly { id: string; error: string }[],
  nowMs: number,
): D1PreparedStatement[] {
  const first = invalid[0];
  if (!first) return [];
  const ids = [...new Set(invalid.map((i) => i.id))].slice(0, MAX_IDS);
  // Keyed by account and gig, not by job: a retried page, or the next pass listing the same bad
  // gig (reconciliation, hourly retries), does not record the same failure again.
  const jobId = `invalid-gig:${job.account}:${first.id}`;
  const failed: FetchGigsJob = {
    v: JOB_VERSION,
    kind: "fetch_gigs",
    job_id: jobId,
    event_id: job.event_id,
    account: job.account,
    user: job.user,
    received_at: job.received_at,
    origin: job.origin,
    ids,
  };
  logError("Argyle listed gigs it served invalid: recorded in failures", {
    job_id: job.job_id,
    account: job.account,
    gigs: ids.length,
    error: first.error,
  });
  return [
    insertFailureStatement(db, {
      id: newTimeOrderedId(nowMs),
      created_at: new Date(nowMs).toISOString(),
      job_id: jobId,
      kind: failed.kind,
      account: job.account,
      event_id: job.event_id,
      job: JSON.stringify(failed),
      gig_ids: ids.length,
      reason: "permanent",
      attempts: 1,
      last_error: first.error,
    }),
  ];
}

/**
 * The failure-row statement for listed items that carry no valid gig id, or none. Nothing can be
 * fetched for them, so the row holds the listing job itself (cursor cleared): redriving it walks
 * the listing again once Argyle serves those items whole. One row per account and kind of walk,
 * however many pages or passes had such items (a pass id in the key would add a row every pass).
 */
export function unidentifiedItemStatements(
  db: D1Database,
  job: ListWindowJob | BackfillJob,
  count: number,
  nowMs: number,
): D1PreparedStatement[] {
  if (count === 0) return [];
  const jobId = `unidentified:${job.kind}:${job.account}`;
  const redrive: ListWindowJob | BackfillJob =
    job.kind === "backfill"
      ? { ...job, job_id: jobId, pass: null, cursor: null }
      : { ...job, job_id: jobId, cursor: null, listed: 0 };
  const error = `Argyle listed ${count} item(s) without a valid gig id: skipped`;
  logError("Argyle listed items without a valid gig id: skipped, recorded in failures", {
    job_id: job.job_id,
    account: job.account,
    items: count,
  });
  return [
    insertFailureStatement(db, {
      id: newTimeOrderedId(nowMs),
      created_at: new Date(nowMs).toISOString(),
      job_id: jobId,
      kind: job.kind,
      account: job.account,
      event_id: job.event_id,
      job: JSON.stringify(redrive),
      gig_ids: 0,
      reason: "permanent",
      attempts: 1,
      last_error: error,
    }),
  ];
}
