/**
 * The cron's work: re-queue what fell through the cracks, and prune old history.
 * - Accepted events whose jobs never reached the queue (a crash, or a failed rollback while the
 *   queue was down) are planned again from their stored body and queued.
 * - Backfill passes with no checkpoint for 15 minutes get a fresh continuation message.
 * - Events, bodies and attempt logs older than EVENT_RETENTION_DAYS are deleted (failures stay).
 * @module
 */
import { describeError } from "../domain/errors.ts";
import { timeOrderedIdFloor } from "../domain/ids.ts";
import { sendJobs } from "../domain/ingest.ts";
import { JOB_VERSION, type Job } from "../domain/jobs.ts";
import { planWebhookJobs } from "../domain/lifecycle/plan.ts";
import { logError, logInfo } from "../domain/log.ts";
import { nudgeBackfillStatement, stalledBackfills } from "../domain/storage/accounts.ts";
import { listUnenqueuedEvents, markEnqueuedStatement } from "../domain/storage/events.ts";
import { parseWebhook } from "../domain/webhook-schema.ts";
import { readConfig } from "./config.ts";
import type { ConsumerEnv } from "./env.ts";
import { applyRetention, revivePurges, scheduleReconciliation } from "./lifecycle-cron.ts";

/** An event younger than this may still be mid-ingest: leave it to the receiver. */
const SWEEP_GRACE_MS = 2 * 60_000;
export const STALL_MS = 15 * 60_000;
/** Per cron run, to stay well inside the subrequest budget. */
const SWEEP_LIMIT = 25;
const PRUNE_LIMIT = 1000;
/** Jobs re-queued per cron run: 5 sendBatch calls of 100 (one event may exceed it alone). */
const SWEEP_MAX_JOBS = 500;

export interface MaintenanceSummary {
  requeuedEvents: number;
  revivedBackfills: number;
  prunedEvents: number;
  revivedPurges: number;
  expiredGigs: number;
  expiredAccounts: number;
  reconcileQueued: number;
}

export async function runMaintenance(env: ConsumerEnv, nowMs: number): Promise<MaintenanceSummary> {
  const config = readConfig(env);
  const summary: MaintenanceSummary = {
    requeuedEvents: 0,
    revivedBackfills: 0,
    prunedEvents: 0,
    revivedPurges: 0,
    expiredGigs: 0,
    expiredAccounts: 0,
    reconcileQueued: 0,
  };
  // Each step stands alone: one failing must not stop the others.
  await step("sweep un-queued events", async () => {
    summary.requeuedEvents = await requeueUnenqueuedEvents(env, nowMs);
  });
  await step("revive stalled backfills", async () => {
    summary.revivedBackfills = await reviveStalledBackfills(env, nowMs);
  });
  await step("prune history", async () => {
    summary.prunedEvents = await pruneHistory(env.DB, nowMs - config.retentionDays * 86_400_000);
  });
  await step("revive stalled purges", async () => {
    summary.revivedPurges = await revivePurges(env, nowMs);
  });
  await step("gig retention", async () => {
    const expired = await applyRetention(env, config, nowMs);
    summary.expiredGigs = expired.gigs;
    summary.expiredAccounts = expired.accounts;
  });
  await step("schedule reconciliation", async () => {
    summary.reconcileQueued = await scheduleReconciliation(env, config, nowMs);
  });
  logInfo("maintenance", { ...summary });
  return summary;
}

async function step(name: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    logError(`maintenance step failed: ${name}`, { error: describeError(error) });
  }
}

async function requeueUnenqueuedEvents(env: ConsumerEnv, nowMs: number): Promise<number> {
  const rows = await listUnenqueuedEvents(env.DB, timeOrderedIdFloor(nowMs - SWEEP_GRACE_MS), SWEEP_LIMIT);
  if (rows.length === 0) return 0;
  const jobs: Job[] = [];
  const swept: typeof rows = [];
  for (const row of rows) {
    const parsed = parseWebhook(row.body);
    // Same event id and arrival time as the original attempt, so the jobs are the same jobs.
    const planned = planWebhookJobs(parsed, { eventId: row.id, receivedAt: row.received_at });
    // Stay within the cron's subrequest budget: the rest waits for the next run.
    if (swept.length > 0 && jobs.length + planned.length > SWEEP_MAX_JOBS) break;
    jobs.push(...planned);
    swept.push(row);
  }
  await sendJobs(env.JOBS, jobs);
  const at = new Date(nowMs).toISOString();
  await env.DB.batch(swept.map((row) => markEnqueuedStatement(env.DB, row.id, at)));
  logInfo("re-queued events whose jobs never reached the queue", { events: swept.length, jobs: jobs.length });
  return swept.length;
}

async function reviveStalledBackfills(env: ConsumerEnv, nowMs: number): Promise<number> {
  const stalled = await stalledBackfills(env.DB, nowMs - STALL_MS, SWEEP_LIMIT);
  if (stalled.length === 0) return 0;
  const receivedAt = new Date(nowMs).toISOString();
  const jobs: Job[] = stalled.map((a) => ({
    v: JOB_VERSION,
    kind: "backfill",
    job_id: `${a.backfill_pass}~cron-${nowMs}`,
    event_id: "cron",
    origin: "cron",
    account: a.id,
    user: a.user,
    received_at: receivedAt,
    pass: a.backfill_pass,
    cursor: a.backfill_cursor,
  }));
  await sendJobs(env.JOBS, jobs);
  await env.DB.batch(stalled.map((a) => nudgeBackfillStatement(env.DB, a.id, a.backfill_pass, nowMs)));
  logInfo("revived stalled backfills", { accounts: stalled.length });
  return stalled.length;
}

async function pruneHistory(db: D1Database, cutoffMs: number): Promise<number> {
  const cutoffId = timeOrderedIdFloor(cutoffMs);
  const cutoffIso = new Date(cutoffMs).toISOString();
  const [events] = await db.batch([
    db
      .prepare("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id < ?1 ORDER BY id LIMIT ?2)")
      .bind(cutoffId, PRUNE_LIMIT),
    db
      .prepare(
        `DELETE FROM event_bodies WHERE sha256 IN (SELECT b.sha256 FROM event_bodies b WHERE b.first_received_at < ?1
           AND NOT EXISTS (SELECT 1 FROM events e WHERE e.body_sha256 = b.sha256) LIMIT ?2)`,
      )
      .bind(cutoffIso, PRUNE_LIMIT),
    db.prepare("DELETE FROM job_attempts WHERE updated_at < ?1").bind(cutoffIso),
  ]);
  return events?.meta.changes ?? 0;
}
