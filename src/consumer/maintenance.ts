/**
 * The cron's work (every minute), the whole scheduled handler: send what the outbox still holds,
 * revive stalled backfills, prune old history, the lifecycle steps (purges, retention,
 * reconciliation), then the alerts watchdog.
 * - Accepted events whose jobs are not marked sent (the queue failed, or the Worker died after
 *   the 202) are planned again from their stored body, with the same job ids and date, and sent.
 * - Backfill passes with no checkpoint for 15 minutes get a fresh continuation message (per shard).
 * - Events, bodies and attempt logs older than EVENT_RETENTION_DAYS are deleted (failures stay).
 * Every query reads through an index that holds only rows with something to do, so a run with
 * nothing to do reads O(1) rows per database however large the tables. Per-shard steps run on every
 * shard (and the catalog as legacy shard "DB"); a shard that fails is logged and skipped, never
 * stopping the other shards or the catalog. Each shard's size is measured once a run (one query).
 * Every D1 binding of the run is metered, so the
 * log line's `rows_read` is what the whole run read (every step, alerts included), and
 * `rows_read_by_step` says where.
 * @module
 */
import { type AlertDeps, runAlerts } from "../domain/alerts/run.ts";
import { describeError } from "../domain/errors.ts";
import { timeOrderedIdFloor } from "../domain/ids.ts";
import { planParsed, sendJobs } from "../domain/ingest.ts";
import { webhookArrivedAt } from "../domain/job-dating.ts";
import { JOB_VERSION, type Job } from "../domain/jobs.ts";
import { logError, logInfo } from "../domain/log.ts";
import { CATALOG_SHARD, shardDb, shardNames } from "../domain/shards/bindings.ts";
import { nudgeBackfillStatement, stalledBackfills } from "../domain/storage/accounts.ts";
import { getBodyBySha, listUnsentEvents, markEnqueuedStatement } from "../domain/storage/events.ts";
import { meterRowsRead } from "../domain/storage/rows-meter.ts";
import { parseWebhook } from "../domain/webhook-schema.ts";
import { readConfig } from "./config.ts";
import type { ConsumerEnv } from "./env.ts";
import { applyRetention, revivePurges, scheduleReconciliation } from "./lifecycle-cron.ts";
import { reviveStalledMoves } from "./moves-cron.ts";
import { eachShard, measureShards, recordShardSizes } from "./shard-maintenance.ts";

/**
 * An event younger than this may still be sending from the receiver's `waitUntil` (which lives
 * at most about 30 s after the answer): leave it be, so the usual case is not sent twice.
 */
export const SWEEP_GRACE_MS = 60_000;
export const STALL_MS = 15 * 60_000;
/** Backfills revived per run. */
const REVIVE_LIMIT = 25;
const PRUNE_LIMIT = 1000;
/** Subrequests a run keeps for everything but the outbox's body reads and sends. */
const CRON_RESERVED_SUBREQUESTS = 20;

/**
 * How much of the outbox one run sends, from the invocation's subrequest budget: each event costs
 * one body read, and every 100 jobs one sendBatch. Free plan (50): 25 events and 500 jobs a run,
 * 1,500 events an hour; Paid (e.g. 1000): 930 events and 5,000 jobs. One event may exceed the job
 * cap alone (it is sent whole: at most ~620 jobs for a 1.9 MB body).
 */
export function outboxSweepLimits(maxSubrequests: number): { events: number; jobs: number } {
  // At most 5,000 jobs (about 2 KB each as JSON) held at once, whatever the plan allows.
  const jobs = 100 * Math.min(50, Math.max(5, Math.floor(maxSubrequests / 20)));
  const events = Math.max(1, Math.min(1000, maxSubrequests - CRON_RESERVED_SUBREQUESTS - jobs / 100));
  return { events, jobs };
}

export interface MaintenanceSummary {
  requeuedEvents: number;
  revivedBackfills: number;
  prunedEvents: number;
  revivedPurges: number;
  /** Account moves with no progress for 15 minutes whose message was sent again. */
  revivedMoves: number;
  expiredGigs: number;
  expiredAccounts: number;
  reconcileQueued: number;
  /** Bytes per database measured this run (a shard that failed is absent). */
  shardSizes: Record<string, number>;
  /** Rows D1 reports read by this run's queries, every step: O(1) when there is nothing to do. */
  rowsRead: number;
  /** The same, per step (the names `step()` logs failures under). */
  rowsReadByStep: Record<string, number>;
  /** The same, per database (DB, SHARD_1, ...). */
  rowsReadByDatabase: Record<string, number>;
}

export interface MaintenanceOptions {
  /** The fetch alert notices go out with (tests and the dev stack watch it). Default: global fetch. */
  alertFetch?: AlertDeps["fetch"];
}

export async function runMaintenance(
  rawEnv: ConsumerEnv,
  nowMs: number,
  options: MaintenanceOptions = {},
): Promise<MaintenanceSummary> {
  // Every database metered: the catalog and each shard (the idle budget is per database).
  const meters = new Map(
    [CATALOG_SHARD, ...shardNames(rawEnv)].map((name) => [name, meterRowsRead(shardDb(rawEnv, name))]),
  );
  const env = { ...rawEnv } as ConsumerEnv & Record<string, D1Database>;
  for (const [name, m] of meters) env[name] = m.db;
  const meter = { rowsRead: () => [...meters.values()].reduce((n, m) => n + m.rowsRead(), 0) };
  const config = readConfig(env);
  const summary: MaintenanceSummary = {
    requeuedEvents: 0,
    revivedBackfills: 0,
    prunedEvents: 0,
    revivedPurges: 0,
    revivedMoves: 0,
    expiredGigs: 0,
    expiredAccounts: 0,
    reconcileQueued: 0,
    shardSizes: {},
    rowsRead: 0,
    rowsReadByStep: {},
    rowsReadByDatabase: {},
  };
  // Each step stands alone: one failing must not stop the others.
  const step = async (name: string, work: () => Promise<void>): Promise<void> => {
    const before = meter.rowsRead();
    await guarded(name, work);
    summary.rowsReadByStep[name] = meter.rowsRead() - before;
  };
  await step("send the outbox", async () => {
    summary.requeuedEvents = await sendUnsentEvents(env, nowMs, outboxSweepLimits(config.maxSubrequests));
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
  await step("revive stalled moves", async () => {
    summary.revivedMoves = await reviveStalledMoves(env, nowMs);
  });
  await step("gig retention", async () => {
    const expired = await applyRetention(env, config, nowMs);
    summary.expiredGigs = expired.gigs;
    summary.expiredAccounts = expired.accounts;
  });
  await step("schedule reconciliation", async () => {
    summary.reconcileQueued = await scheduleReconciliation(env, config, nowMs);
  });
  await step("measure shards", async () => {
    const measures = await measureShards(env);
    summary.shardSizes = Object.fromEntries(measures.map((m) => [m.shard, m.sizeBytes]));
    await recordShardSizes(env.DB, measures, nowMs);
  });
  // The watchdog last, so it sees what this run did (it logs and swallows its own failures).
  await step("alerts", async () => {
    const shards = shardNames(env).map((name) => ({ name, db: shardDb(env, name) }));
    await runAlerts(
      options.alertFetch ? { db: env.DB, fetch: options.alertFetch, shards } : { db: env.DB, shards },
      env,
      nowMs,
    );
  });
  summary.rowsRead = meter.rowsRead();
  for (const [name, m] of meters) summary.rowsReadByDatabase[name] = m.rowsRead();
  logInfo("maintenance", {
    requeued_events: summary.requeuedEvents,
    revived_backfills: summary.revivedBackfills,
    pruned_events: summary.prunedEvents,
    revived_purges: summary.revivedPurges,
    revived_moves: summary.revivedMoves,
    expired_gigs: summary.expiredGigs,
    expired_accounts: summary.expiredAccounts,
    reconcile_queued: summary.reconcileQueued,
    rows_read: summary.rowsRead,
    rows_read_by_database: Object.entries(summary.rowsReadByDatabase)
      .map(([name, rows]) => `${name}: ${rows}`)
      .join(", "),
    rows_read_by_step: Object.entries(summary.rowsReadByStep)
      .map(([name, rows]) => `${name}: ${rows}`)
      .join(", "),
  });
  return summary;
}

async function guarded(name: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    logError(`maintenance step failed: ${name}`, { error: describeError(error) });
  }
}

/**
 * Sends the jobs of events the receiver recorded but did not mark sent. Bodies are loaded one at
 * a time and dropped once planned, so 25 stranded 1 MiB bodies cost one body of memory, not 25;
 * only the (capped) jobs accumulate, to be sent in as few calls as the Queue allows.
 */
async function sendUnsentEvents(
  env: ConsumerEnv,
  nowMs: number,
  limits: { events: number; jobs: number },
): Promise<number> {
  const listed = await listUnsentEvents(env.DB, timeOrderedIdFloor(nowMs - SWEEP_GRACE_MS), limits.events);
  if (listed.rows.length === 0) return 0;
  const jobs: Job[] = [];
  const swept: string[] = [];
  for (const row of listed.rows) {
    const stored = await getBodyBySha(env.DB, row.body_sha256);
    // Same event id and date as on arrival (and as a replay dated it), so these are the same jobs.
    const planned =
      stored.body === null ? [] : planParsed(parseWebhook(stored.body), row.id, webhookArrivedAt({ event: row }));
    // Stay within the cron's subrequest budget: the rest waits for the next run.
    if (swept.length > 0 && jobs.length + planned.length > limits.jobs) break;
    jobs.push(...planned);
    swept.push(row.id);
  }
  await sendJobs(env.JOBS, jobs);
  const at = new Date(nowMs).toISOString();
  await env.DB.batch(swept.map((id) => markEnqueuedStatement(env.DB, id, at)));
  logInfo("sent jobs of events left in the outbox", { events: swept.length, jobs: jobs.length });
  return swept.length;
}

/** Per shard: passes with no checkpoint for STALL_MS get a fresh continuation (at most REVIVE_LIMIT a shard). */
async function reviveStalledBackfills(env: ConsumerEnv, nowMs: number): Promise<number> {
  const revived = await eachShard(env, "revive stalled backfills", async (db) => {
    const { rows: stalled } = await stalledBackfills(db, nowMs - STALL_MS, REVIVE_LIMIT);
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
    await db.batch(stalled.map((a) => nudgeBackfillStatement(db, a.id, a.backfill_pass, nowMs)));
    return stalled.length;
  });
  const total = revived.reduce((n, r) => n + r.value, 0);
  if (total > 0)
    logInfo("revived stalled backfills", {
      accounts: total,
      shards: revived.filter((r) => r.value > 0).map((r) => r.shard),
    });
  return total;
}

/**
 * Deletes up to PRUNE_LIMIT events older than the cutoff, with the bodies only they used. Both
 * statements walk the events' primary key from its start and stop at the cutoff, and check a
 * body's other users on events_by_body, so a run with nothing old reads no row (the old body
 * prune looked for old bodies by first_received_at, which had no index: it read every body).
 */
async function pruneHistory(db: D1Database, cutoffMs: number): Promise<number> {
  const cutoffId = timeOrderedIdFloor(cutoffMs);
  const cutoffIso = new Date(cutoffMs).toISOString();
  const doomed = "SELECT id FROM events WHERE id < ?1 ORDER BY id LIMIT ?2";
  const results = await db.batch([
    // Bodies first, while the doomed rows still say which bodies they used; a body also used by
    // an event that stays (a later duplicate or replay) stays with it. The events' foreign key on
    // their body is checked at the batch's commit, when both are gone (SQLite resets this pragma
    // after every transaction, and a D1 batch is one).
    db.prepare("PRAGMA defer_foreign_keys = ON"),
    db
      .prepare(
        `DELETE FROM event_bodies WHERE sha256 IN (SELECT body_sha256 FROM events WHERE id IN (${doomed}))
           AND NOT EXISTS (SELECT 1 FROM events e WHERE e.body_sha256 = event_bodies.sha256
             AND e.id > (SELECT MAX(id) FROM (${doomed})))`,
      )
      .bind(cutoffId, PRUNE_LIMIT),
    db.prepare(`DELETE FROM events WHERE id IN (${doomed})`).bind(cutoffId, PRUNE_LIMIT),
    db.prepare("DELETE FROM job_attempts WHERE updated_at < ?1").bind(cutoffIso),
  ]);
  return results[2]?.meta.changes ?? 0;
}
