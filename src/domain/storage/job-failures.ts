/**
 * D1 access for job failures: the attempt log the consumer keeps while a job is being retried,
 * and the failures table the dead-letter consumer fills (and the API redrives from).
 * @module
 */
import { notPurgedSql } from "../lifecycle/purged.ts";

/** Records (or updates) why a job's latest attempt failed; `first_failed_ms` keeps the first failure (the alerts' backlog age). */
export function recordAttemptStatement(
  db: D1Database,
  jobId: string,
  attempts: number,
  reason: string,
  error: string,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO job_attempts (job_id, attempts, reason, last_error, updated_at, first_failed_ms)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6)
       ON CONFLICT (job_id) DO UPDATE SET attempts = MAX(job_attempts.attempts, excluded.attempts),
         reason = excluded.reason, last_error = excluded.last_error, updated_at = excluded.updated_at`,
    )
    .bind(jobId, attempts, reason, error, new Date().toISOString(), Date.now());
}

/** Forgets a job's attempt log once the job succeeded. */
export function clearAttemptsStatement(db: D1Database, jobId: string): D1PreparedStatement {
  return db.prepare("DELETE FROM job_attempts WHERE job_id = ?1").bind(jobId);
}

export interface AttemptLog {
  attempts: number;
  reason: string;
  last_error: string;
}

export async function readAttempts(db: D1Database, jobId: string): Promise<AttemptLog | null> {
  return db
    .prepare("SELECT attempts, reason, last_error FROM job_attempts WHERE job_id = ?1")
    .bind(jobId)
    .first<AttemptLog>();
}

export interface FailureRecord {
  id: string;
  created_at: string;
  job_id: string;
  kind: string;
  account: string | null;
  event_id: string | null;
  job: string;
  gig_ids: number;
  reason: string;
  attempts: number;
  last_error: string | null;
}

/**
 * Records a failure once per job id (the dead-letter queue may deliver a message twice). Nothing
 * for a purged account (the purge deleted its failures; a late dead letter must not bring one
 * back), except a failed purge itself, which the operator must see.
 */
export function insertFailureStatement(db: D1Database, f: FailureRecord): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO failures (id, created_at, job_id, kind, account, event_id, job, gig_ids, reason, attempts, last_error)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11
       WHERE ?4 = 'purge_account' OR ?5 IS NULL OR ${notPurgedSql("?5")}
       ON CONFLICT (job_id) DO NOTHING`,
    )
    .bind(
      f.id,
      f.created_at,
      f.job_id,
      f.kind,
      f.account,
      f.event_id,
      f.job,
      f.gig_ids,
      f.reason,
      f.attempts,
      f.last_error,
    );
}
