/**
 * The queue message that runs an account move (started by the API, revived by the cron).
 * @module
 */
import { newTimeOrderedId } from "../ids.ts";
import { JOB_VERSION, type MoveAccountJob } from "../jobs.ts";
import type { MoveRow } from "./move.ts";

/** The message that (re)starts the move in `row`. */
export function moveJob(row: MoveRow, nowMs: number, origin: MoveAccountJob["origin"] = "cron"): MoveAccountJob {
  const to = row.move_state === "copying" ? row.move_to : row.shard;
  if (!row.move_id || !to) throw new Error(`account ${row.account} has no move running`);
  const id = newTimeOrderedId(nowMs);
  return {
    v: JOB_VERSION,
    job_id: `move:${row.move_id}:${id}`,
    event_id: id,
    account: row.account,
    user: row.user,
    received_at: new Date(nowMs).toISOString(),
    origin,
    kind: "move_account",
    to,
    move_id: row.move_id,
  };
}
