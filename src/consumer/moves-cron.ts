/**
 * The cron's safety net for account moves: a move whose message was lost (a queue send that
 * failed after the API's 202, a message that expired) shows no progress in the directory; this
 * queues a new message for it, which resumes from the catalog's checkpoint.
 * @module
 */
import type { MoveAccountJob } from "../domain/jobs.ts";
import { logWarn } from "../domain/log.ts";
import { phaseOf, readMove } from "../domain/shards/move.ts";
import { moveJob } from "../domain/shards/move-job.ts";

/** A move without a checkpoint for this long is revived (a step takes seconds; the grace 60 s). */
export const MOVE_STALL_MS = 15 * 60_000;
/** Moves revived per cron run: moves are rare and operator-started. */
export const MOVES_REVIVED_PER_RUN = 10;

export interface MovesCronEnv {
  DB: D1Database;
  JOBS: Queue<MoveAccountJob>;
}

/**
 * Re-queues stalled moves (index directory_moving) and marks them as revived (progress = now), so
 * one stall queues one message per 15 minutes. Failed moves wait for the operator. Returns how many.
 */
export async function reviveStalledMoves(env: MovesCronEnv, nowMs: number): Promise<number> {
  const { results } = await env.DB.prepare(
    `SELECT account FROM directory WHERE move_state IS NOT NULL AND move_progress_ms < ?1
     ORDER BY move_progress_ms LIMIT ?2`,
  )
    .bind(nowMs - MOVE_STALL_MS, MOVES_REVIVED_PER_RUN)
    .all<{ account: string }>();
  const jobs: MoveAccountJob[] = [];
  for (const { account } of results) {
    const row = await readMove(env.DB, account);
    if (!row?.move_id || phaseOf(row)?.phase === "failed") continue;
    jobs.push(moveJob(row, nowMs));
  }
  if (jobs.length === 0) return 0;
  await env.JOBS.sendBatch(jobs.map((body) => ({ body, contentType: "json" as const })));
  await env.DB.batch(
    jobs.map((job) =>
      env.DB.prepare("UPDATE directory SET move_progress_ms = ?3 WHERE account = ?1 AND move_id = ?2").bind(
        job.account,
        job.move_id,
        nowMs,
      ),
    ),
  );
  logWarn("stalled account moves revived", { count: jobs.length, accounts: jobs.map((j) => j.account) });
  return jobs.length;
}
