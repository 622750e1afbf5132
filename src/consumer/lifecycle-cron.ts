/**
 * The cron's data-lifecycle steps: revive purges whose message was lost, apply GIG_RETENTION_DAYS,
 * and queue scheduled reconciliations. Each is bounded per run so the cron stays within its
 * subrequest budget and never holds D1 long.
 * @module
 */
import { sendJobs } from "../domain/ingest.ts";
import type { Job } from "../domain/jobs.ts";
import { purgeJob } from "../domain/lifecycle/plan.ts";
import { markPurgeStatement, nudgePurgeStatement, stalledPurges } from "../domain/lifecycle/purge.ts";
import { countReconcilable, dueForReconcile, holdStatements, reconcileJob } from "../domain/lifecycle/reconcile.ts";
import { idleAccounts, pruneExpiredGigs } from "../domain/lifecycle/retention.ts";
import { logInfo } from "../domain/log.ts";
import type { ConsumerConfig } from "./config.ts";
import type { ConsumerEnv } from "./env.ts";

/** A purge with no chunk for this long lost its message. */
export const PURGE_STALL_MS = 15 * 60_000;
/** Purges revived, accounts expired, and accounts reconciled per cron run. */
const PURGE_REVIVE_LIMIT = 25;
const RETENTION_ACCOUNT_LIMIT = 10;
/** The cron's schedule (wrangler.consumer.toml: every minute). */
export const CRON_INTERVAL_MS = 60_000;
/**
 * Reconciliation pacing. Every account with live gigs (N) must be listed once per RECONCILE_DAYS,
 * and the cron runs R = RECONCILE_DAYS × 1,440 times in that period (10,080 for 7 days), so the
 * steady rate is N / R accounts a run. A run may queue RECONCILE_HEADROOM (4) times that, rounded
 * up: only accounts already due are queued, so in the steady state each run queues the few that
 * fell due since the last (the load stays spread), while a backlog (every account due at once
 * after the first deploy, or a burst of accounts backfilled together) drains within R / 4 runs,
 * a quarter of the period, instead of the whole period. Floor 1 (any due account moves every
 * run); ceiling 100 a run: one Queue sendBatch (at most 100 messages) and one D1 batch of holds,
 * so the step costs at most 4 subrequests of the Free plan's 50 (read the count, read the due
 * accounts, send, write), 5 on the day the count is refreshed. At the ceiling the cron queues
 * 144,000 passes a day: N up to 252,000 accounts a week keeps the 4× headroom, 1,008,000 none.
 * Each pass is one backfill pass (a page per 200 gigs) run by the queue consumer, not the cron.
 */
export const RECONCILE_HEADROOM = 4;
export const RECONCILE_MIN_PER_RUN = 1;
export const RECONCILE_MAX_PER_RUN = 100;
/** Due accounts read beyond the share, so accounts with nothing to reconcile do not crowd it out. */
const RECONCILE_SKIP_SLACK = 10;
/** N is counted (every account read once) at most this often, and only when something is due. */
export const RECONCILE_COUNT_TTL_MS = 86_400_000;
const COUNT_STATE = "reconcile_accounts";

/** Reconciliations one run may queue for `accounts` accounts with live gigs (see RECONCILE_HEADROOM). */
export function reconcilePerRun(accounts: number, periodMs: number): number {
  const runs = Math.max(1, Math.floor(periodMs / CRON_INTERVAL_MS));
  const share = Math.ceil((RECONCILE_HEADROOM * accounts) / runs);
  return Math.min(RECONCILE_MAX_PER_RUN, Math.max(RECONCILE_MIN_PER_RUN, share));
}

export async function revivePurges(env: ConsumerEnv, nowMs: number): Promise<number> {
  const stalled = await stalledPurges(env.DB, nowMs - PURGE_STALL_MS, PURGE_REVIVE_LIMIT);
  if (stalled.length === 0) return 0;
  const receivedAt = new Date(nowMs).toISOString();
  const jobs: Job[] = stalled.map((p) =>
    purgeJob({
      account: p.account,
      user: p.user,
      reason: p.reason,
      tokenRole: p.token_role,
      jobId: `purge:${p.account}:${nowMs}`,
      eventId: "cron",
      receivedAt,
    }),
  );
  await sendJobs(env.JOBS, jobs);
  await env.DB.batch(stalled.map((p) => nudgePurgeStatement(env.DB, p.account, nowMs)));
  logInfo("revived stalled purges", { accounts: stalled.length });
  return stalled.length;
}

export async function applyRetention(
  env: ConsumerEnv,
  config: ConsumerConfig,
  nowMs: number,
): Promise<{ gigs: number; accounts: number }> {
  if (config.gigRetentionDays === null) return { gigs: 0, accounts: 0 };
  const cutoffMs = nowMs - config.gigRetentionDays * 86_400_000;
  const gigs = await pruneExpiredGigs(env.DB, cutoffMs, nowMs);
  const idle = await idleAccounts(env.DB, new Date(cutoffMs).toISOString(), RETENTION_ACCOUNT_LIMIT);
  if (idle.length > 0) {
    // Marked first (reads as deleted at once), then purged by the same job as any deletion.
    await env.DB.batch(
      idle.map((a) =>
        markPurgeStatement(env.DB, { account: a.id, user: a.user, reason: "retention", tokenRole: null }, nowMs),
      ),
    );
    const receivedAt = new Date(nowMs).toISOString();
    await sendJobs(
      env.JOBS,
      idle.map((a) =>
        purgeJob({
          account: a.id,
          user: a.user,
          reason: "retention",
          tokenRole: null,
          jobId: `purge:${a.id}:${nowMs}`,
          eventId: "retention",
          receivedAt,
        }),
      ),
    );
  }
  if (gigs > 0 || idle.length > 0) logInfo("retention", { gigs, accounts: idle.length });
  return { gigs, accounts: idle.length };
}

export async function scheduleReconciliation(env: ConsumerEnv, config: ConsumerConfig, nowMs: number): Promise<number> {
  const periodMs = config.reconcileDays * 86_400_000;
  const state = await env.DB.prepare("SELECT value, at_ms FROM cron_state WHERE name = ?1")
    .bind(COUNT_STATE)
    .first<{ value: number; at_ms: number }>();
  const fresh = state !== null && nowMs - state.at_ms < RECONCILE_COUNT_TTL_MS;
  let perRun = fresh ? reconcilePerRun(state.value, periodMs) : RECONCILE_MAX_PER_RUN;
  // A few more than the share: accounts with nothing to reconcile are set aside on the way.
  const due = await dueForReconcile(
    env.DB,
    nowMs,
    periodMs,
    Math.min(RECONCILE_MAX_PER_RUN, perRun + RECONCILE_SKIP_SLACK),
  );
  if (due.length === 0) return 0;
  if (!fresh) {
    // Only when something is due: an idle run never pays for the count.
    const accounts = await countReconcilable(env.DB);
    await env.DB.prepare(
      `INSERT INTO cron_state (name, value, at_ms) VALUES (?1, ?2, ?3)
       ON CONFLICT (name) DO UPDATE SET value = excluded.value, at_ms = excluded.at_ms`,
    )
      .bind(COUNT_STATE, accounts, nowMs)
      .run();
    perRun = reconcilePerRun(accounts, periodMs);
  }
  // The share of eligible accounts is queued; eligible ones past it stay due for the next run.
  const queue = due.filter((a) => a.eligible === 1).slice(0, perRun);
  const running = due.filter((a) => a.eligible !== 1 && a.running === 1);
  if (queue.length > 0)
    await sendJobs(
      env.JOBS,
      queue.map((a) => reconcileJob(a, nowMs)),
    );
  // Every account looked at leaves the due range, queued or not, so the next idle run reads none.
  await env.DB.batch(
    holdStatements(
      env.DB,
      {
        requeue: [...queue, ...running].map((a) => a.id),
        later: due.filter((a) => a.eligible !== 1 && a.running !== 1).map((a) => a.id),
        queued: queue.map((a) => a.id),
      },
      nowMs,
      periodMs,
    ),
  );
  if (queue.length > 0) logInfo("queued reconciliations", { accounts: queue.length, per_run: perRun });
  return queue.length;
}
