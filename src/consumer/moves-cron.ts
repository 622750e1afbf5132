/**
 * The cron's safety net for account moves: a move whose message was lost (a queue send that
 * failed after the API's 202, a message that expired) shows no progress in the directory; this
 * queues a new message for it, which resumes from the catalog's checkpoint.
 * @module
 */
import type { MoveAccountJob } from "../domain/jobs.ts";
import { logWarn } from "../domain/log.ts";
import { MOVE_ROW_COLUMNS, type MoveRow } from "../domain/shards/move.ts";
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
  // Failed moves are left out in the query itself: they never make progress, so they would sort
  // first and, ten of them, take every slot of the limit from moves that can still finish.
  const { results } = await env.DB.prepare(
    `SELECT ${MOVE_ROW_COLUMNS} FROM directory d
     WHERE d.move_state IS NOT NULL AND d.move_progress_ms < ?1 AND d.move_id IS NOT NULL
       AND CASE WHEN json_valid(d.move_cursor) THEN json_extract(d.move_cursor, '$.phase') END IS NOT 'failed'
     ORDER BY d.move_progress_ms LIMIT ?2`,
  )
    .bind(nowMs - MOVE_STALL_MS, MOVES_REVIVED_PER_RUN)
    .all<MoveRow>();
  const jobs = results.map((row) => moveJob(row, nowMs));
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
