/**
 * Bulk replay of `invalid` events and bulk redrive of open failures, bounded per call and
 * resumable: each call takes at most `limit` items (newest first), runs each through exactly the
 * single-item path (ingest for a replay, `redriveFailure` for a retry) and answers with what it
 * did and a cursor to continue from. Free of Hono: the API routes and the console share it.
 * @module
 */
import { isD1Error, UnavailableError } from "./errors.ts";
import type { IngestDeps } from "./ingest.ts";
import { logInfo } from "./log.ts";
import { type RedriveResult, redriveFailure } from "./redrive.ts";
import { replayEvent } from "./replay.ts";
import {
  buildInvalidEventBatchQuery,
  buildOpenFailureBatchQuery,
  type InvalidEventFilter,
  type OpenFailureFilter,
  selectBatch,
} from "./storage/console-bulk.ts";
import type { EventStatus } from "./storage/events.ts";

/**
 * Items per call. A replay costs about four D1/Queue calls and a redrive three; ten of them stay
 * well inside the Free plan's 50 subrequests per invocation, with room for the selection itself.
 */
export const MAX_BULK_LIMIT = 10;

export interface BulkReport<T> {
  /** What was done to each item taken, in the order taken (newest first). */
  results: T[];
  /** Pass as `cursor` to continue; null when nothing matching is left below this batch. */
  next: string | null;
  /** Set when the batch stopped early because D1 or the Queue failed; `next` resumes at the item that failed. */
  stopped: "unavailable" | null;
}

export interface ReplayItem {
  id: string;
  replay_id: string;
  status: EventStatus;
}

export interface RetryItem {
  id: string;
  outcome: RedriveResult["outcome"];
  job_id?: string;
}

/**
 * Replays up to `limit` invalid events matching `filter` whose ids lie below `cursor`. Settling
 * (marking replays enqueued) is handed back for the caller's `waitUntil`.
 */
export async function replayInvalidEvents(
  deps: IngestDeps,
  filter: InvalidEventFilter,
  cursor: string | null,
  limit: number,
): Promise<BulkReport<ReplayItem> & { settle: Promise<void> }> {
  const batch = await selectBatch(deps.db, buildInvalidEventBatchQuery(filter, cursor, limit), limit);
  const results: ReplayItem[] = [];
  const settles: Promise<void>[] = [];
  let last = cursor;
  let stopped: BulkReport<ReplayItem>["stopped"] = null;
  for (const id of batch.ids) {
    try {
      const replay = await replayEvent(deps, id);
      // Pruned between the selection and now: nothing to replay, move on.
      if (replay !== null) {
        settles.push(replay.settle);
        results.push({ id, replay_id: replay.id, status: replay.status });
      }
      last = id;
    } catch (error) {
      if (!(error instanceof UnavailableError) && !isD1Error(error)) throw error;
      if (results.length === 0)
        throw error instanceof UnavailableError ? error : new UnavailableError("d1", { cause: error });
      stopped = "unavailable";
      break;
    }
  }
  logInfo("bulk replay", { replayed: results.length, stopped });
  const more = stopped !== null || batch.hasMore;
  return { results, next: more ? last : null, stopped, settle: Promise.all(settles).then(() => undefined) };
}

/** Redrives up to `limit` open failures matching `filter` whose ids lie below `cursor`. */
export async function retryOpenFailures(
  deps: IngestDeps,
  filter: OpenFailureFilter,
  cursor: string | null,
  limit: number,
): Promise<BulkReport<RetryItem>> {
  const batch = await selectBatch(deps.db, buildOpenFailureBatchQuery(filter, cursor, limit), limit);
  const results: RetryItem[] = [];
  let last = cursor;
  let stopped: BulkReport<RetryItem>["stopped"] = null;
  for (const id of batch.ids) {
    try {
      const result = await redriveFailure(deps, id);
      results.push(
        result.outcome === "redriven"
          ? { id, outcome: result.outcome, job_id: result.jobId }
          : { id, outcome: result.outcome },
      );
      last = id;
    } catch (error) {
      if (!(error instanceof UnavailableError) && !isD1Error(error)) throw error;
      if (results.length === 0)
        throw error instanceof UnavailableError ? error : new UnavailableError("d1", { cause: error });
      stopped = "unavailable";
      break;
    }
  }
  logInfo("bulk retry", { redriven: results.filter((r) => r.outcome === "redriven").length, stopped });
  const more = stopped !== null || batch.hasMore;
  return { results, next: more ? last : null, stopped };
}
