/**
 * The cron's data-lifecycle steps: revive purges whose message was lost, apply GIG_RETENTION_DAYS,
 * and queue scheduled reconciliations. Each is bounded per run so the cron stays within its
 * subrequest budget and never holds D1 long.
 * @module
 */

import { describeError } from "../domain/errors.ts";
import { sendJobs } from "../domain/ingest.ts";
import type { Job } from "../domain/jobs.ts";
import { purgeJob } from "../domain/lifecycle/plan.ts";
import { markPurgeStatement, nudgePurgeStatement, stalledPurges } from "../domain/lifecycle/purge.ts";
import { countReconcilable, dueForReconcile, holdStatements, reconcileJob } from "../domain/lifecycle/reconcile.ts";
import { idleAccounts, pruneExpiredGigs } from "../domain/lifecycle/retention.ts";
import { logError, logInfo } from "../domain/log.ts";
import { CATALOG_SHARD } from "../domain/shards/bindings.ts";
import type { ConsumerConfig } from "./config.ts";
import type { ConsumerEnv } from "./env.ts";
import { eachShard } from "./shard-maintenance.ts";

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
/** cron_state rows `reconcile_accounts:<shard>`: each shard's N and when it was counted. */
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

/**
 * GIG_RETENTION_DAYS, per shard: each shard's expired gigs are pruned (one bounded chunk, audited
 * in the catalog), and its idle accounts are marked purged, in the catalog (the record the cron
 * revives purges from) and on the shard (what its reads and writes check), then queued for the
 * same purge as any deletion. A shard that fails is logged and skipped; the others carry on.
 */
export async function applyRetention(
  env: ConsumerEnv,
  config: ConsumerConfig,
  nowMs: number,
): Promise<{ gigs: number; accounts: number }> {
  if (config.gigRetentionDays === null) return { gigs: 0, accounts: 0 };
  const cutoffMs = nowMs - config.gigRetentionDays * 86_400_000;
  const catalog = env.DB;
  const receivedAt = new Date(nowMs).toISOString();
  const perShard = await eachShard(env, "gig retention", async (db, shard) => {
    const gigs = await pruneExpiredGigs(db, catalog, shard, cutoffMs, nowMs);
    const idle = await idleAccounts(db, new Date(cutoffMs).toISOString(), RETENTION_ACCOUNT_LIMIT);
    if (idle.length === 0) return { gigs, accounts: 0 };
    const requests = idle.map((a) => ({ account: a.id, user: a.user, reason: "retention" as const, tokenRole: null }));
    // The catalog first: from then on the purge is on record, and the cron revives it if the rest fails.
    await catalog.batch(requests.map((r) => markPurgeStatement(catalog, r, nowMs)));
    if (shard !== CATALOG_SHARD) await db.batch(requests.map((r) => markPurgeStatement(db, r, nowMs)));
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
    return { gigs, accounts: idle.length };
  });
  const gigs = perShard.reduce((n, r) => n + r.value.gigs, 0);
  const accounts = perShard.reduce((n, r) => n + r.value.accounts, 0);
  if (gigs > 0 || accounts > 0) logInfo("retention", { gigs, accounts });
  return { gigs, accounts };
}

/**
 * Scheduled reconciliation across shards. N (accounts with live gigs) is counted per shard, each
 * count refreshed at most daily and only when that shard has something due, and summed; the run's
 * share of N (reconcilePerRun) is split between the shards in proportion to their counts (at
 * least one each with accounts), and the due accounts are picked on each shard. One sendBatch for
 * the lot (at most RECONCILE_MAX_PER_RUN), one hold batch per shard with something due. An idle
 * run reads the K count rows and one empty index seek per shard.
 */
export async function scheduleReconciliation(env: ConsumerEnv, config: ConsumerConfig, nowMs: number): Promise<number> {
  const periodMs = config.reconcileDays * 86_400_000;
  const catalog = env.DB;
  const { results: states } = await catalog
    .prepare("SELECT name, value, at_ms FROM cron_state WHERE name > ?1 AND name < ?2")
    .bind(`${COUNT_STATE}:`, `${COUNT_STATE};`)
    .all<{ name: string; value: number; at_ms: number }>();
  const known = new Map(states.map((st) => [st.name.slice(COUNT_STATE.length + 1), st]));
  const isFresh = (shard: string) => {
    const state = known.get(shard);
    return state !== undefined && nowMs - state.at_ms < RECONCILE_COUNT_TTL_MS;
  };
  const knownTotal = states.reduce((n, st) => n + st.value, 0);
  const guessPerRun = reconcilePerRun(knownTotal, periodMs);

  // Pass 1: each shard's due accounts (a few more than its likely share), and stale counts refreshed.
  const counted: { shard: string; value: number }[] = [];
  const dueByShard = await eachShard(env, "schedule reconciliation", async (db, shard) => {
    const fresh = isFresh(shard);
    const guess = fresh ? shareOf(guessPerRun, known.get(shard)?.value ?? 0, knownTotal) : RECONCILE_MAX_PER_RUN;
    const due = await dueForReconcile(
      db,
      nowMs,
      periodMs,
      Math.min(RECONCILE_MAX_PER_RUN, guess + RECONCILE_SKIP_SLACK),
    );
    let accounts = known.get(shard)?.value ?? 0;
    if (due.length > 0 && !fresh) {
      // Only when something is due: an idle run never pays for the count.
      accounts = await countReconcilable(db);
      counted.push({ shard, value: accounts });
    }
    return { due, accounts };
  });
  if (counted.length > 0) {
    await catalog.batch(
      counted.map((c) =>
        catalog
          .prepare(
            `INSERT INTO cron_state (name, value, at_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, at_ms = excluded.at_ms`,
          )
          .bind(`${COUNT_STATE}:${c.shard}`, c.value, nowMs),
      ),
    );
  }
  const withDue = dueByShard.filter((r) => r.value.due.length > 0);
  if (withDue.length === 0) return 0;

  // Pass 2: the run's share of the summed N, split by shard; the whole run within one sendBatch.
  const counts = new Map([...known].map(([shard, st]) => [shard, st.value]));
  for (const r of dueByShard) counts.set(r.shard, r.value.accounts);
  const total = [...counts.values()].reduce((n, v) => n + v, 0);
  const perRun = reconcilePerRun(total, periodMs);
  let room = RECONCILE_MAX_PER_RUN;
  const picked = withDue.map((r) => {
    const eligible = r.value.due.filter((a) => a.eligible === 1);
    const queue = eligible.slice(0, Math.min(room, shareOf(perRun, r.value.accounts, total)));
    room -= queue.length;
    return { ...r, queue };
  });
  const queued = picked.flatMap((p) => p.queue);
  if (queued.length > 0)
    await sendJobs(
      env.JOBS,
      queued.map((a) => reconcileJob(a, nowMs)),
    );
  // Every account looked at leaves the due range, queued or not, so the next idle run reads none.
  for (const p of picked) {
    const due = p.value.due;
    const running = due.filter((a) => a.eligible !== 1 && a.running === 1);
    try {
      await p.db.batch(
        holdStatements(
          p.db,
          {
            requeue: [...p.queue, ...running].map((a) => a.id),
            later: due.filter((a) => a.eligible !== 1 && a.running !== 1).map((a) => a.id),
            queued: p.queue.map((a) => a.id),
          },
          nowMs,
          periodMs,
        ),
      );
    } catch (error) {
      // The queued passes run anyway; unheld accounts are looked at again next run (a pass already
      // running is not queued twice: it is not eligible).
      logError("maintenance step failed on a shard: hold reconciled accounts", {
        shard: p.shard,
        error: describeError(error),
      });
    }
  }
  if (queued.length > 0) logInfo("queued reconciliations", { accounts: queued.length, per_run: perRun });
  return queued.length;
}

/** A shard's part of the run's `perRun`: in proportion to its accounts, at least one if it has any. */
function shareOf(perRun: number, accounts: number, total: number): number {
  if (total <= 0) return RECONCILE_MIN_PER_RUN;
  return Math.max(RECONCILE_MIN_PER_RUN, Math.ceil((perRun * accounts) / total));
}
