/**
 * Ingest of one signed webhook body: classify it, record it in D1, queue its work. Free of Hono
 * so the receiver route, replays and the consumer's sweeper all run exactly the same steps.
 * @module
 */
import { describeError, UnavailableError } from "./errors.ts";
import { isArgyleId, newTimeOrderedId } from "./ids.ts";
import { type Job, jobGigIds, toSendBatches } from "./jobs.ts";
import { planWebhookJobs } from "./lifecycle/plan.ts";
import { logError } from "./log.ts";
import { sha256Hex } from "./signature.ts";
import {
  deleteEvent,
  type EventRecord,
  type EventStatus,
  insertEvent,
  markEnqueuedStatement,
} from "./storage/events.ts";
import { type ParsedWebhook, parseWebhook } from "./webhook-schema.ts";

export interface IngestDeps {
  db: D1Database;
  jobs: Queue<Job>;
}

export interface IngestResult {
  id: string;
  status: EventStatus;
  event: string | null;
  account: string | null;
  duplicateOf: string | null;
  gigIds: number;
  jobs: number;
  /** Bookkeeping to finish after answering (marks the event enqueued); never needed for safety. */
  settle: Promise<void>;
}

/**
 * Records `body` as an event and enqueues its jobs. Resolves only once both are durable; throws
 * `UnavailableError` if either fails, after undoing the event row (which a failed write may still
 * have committed), so a redelivery starts clean.
 */
export async function ingestWebhook(
  deps: IngestDeps,
  body: Uint8Array<ArrayBuffer>,
  options: { replayOf?: string; now?: Date } = {},
): Promise<IngestResult> {
  const now = options.now ?? new Date();
  const id = newTimeOrderedId(now.getTime());
  const receivedAt = now.toISOString();
  const parsed = parseWebhook(body);
  const jobs = planWebhookJobs(parsed, { eventId: id, receivedAt });
  const record = summarize(parsed, {
    id,
    received_at: receivedAt,
    body_sha256: await sha256Hex(body),
    body_bytes: body.byteLength,
    replay_of: options.replayOf ?? null,
    jobs: jobs.length,
    // The plan already holds each distinct ID once: count them there, not in the payload again.
    gig_ids: jobs.reduce((n, job) => n + jobGigIds(job).length, 0),
  });

  let duplicateOf: string | null;
  try {
    duplicateOf = await insertEvent(deps.db, record, body);
  } catch (cause) {
    // The write may have committed with only its answer lost: undo it too, or the sender's
    // redelivery would be filed as a duplicate of a row whose jobs were never queued.
    await rollBack(deps.db, id, record.body_sha256);
    throw new UnavailableError("d1", { cause });
  }

  if (jobs.length > 0) {
    try {
      await sendJobs(deps.jobs, jobs);
    } catch (cause) {
      await rollBack(deps.db, id, record.body_sha256);
      throw new UnavailableError("queue", { cause });
    }
  }

  const settle =
    jobs.length > 0
      ? markEnqueuedStatement(deps.db, id, new Date().toISOString())
          .run()
          .then(() => undefined)
          .catch((error: unknown) => {
            logError("could not mark event enqueued; the sweeper may queue it again", {
              id,
              error: describeError(error),
            });
          })
      : Promise.resolve();

  return {
    id,
    status: record.status,
    event: record.event,
    account: record.account,
    duplicateOf,
    gigIds: record.gig_ids,
    jobs: jobs.length,
    settle,
  };
}

/** Deletes the event row `id`, if there is one, after a failed ingest. Never throws. */
async function rollBack(db: D1Database, id: string, sha256: string): Promise<void> {
  await deleteEvent(db, id, sha256).catch((error: unknown) => {
    // A row that exists stays with enqueued_at = NULL: the consumer's cron sweep re-queues it.
    logError("event rollback failed; the sweeper will re-queue it", { id, error: describeError(error) });
  });
}

/** Sends jobs in as few `sendBatch` calls as the Queue's limits allow, concurrently. */
export async function sendJobs(queue: Queue<Job>, jobs: readonly Job[]): Promise<void> {
  await Promise.all(
    toSendBatches(jobs).map((batch) => queue.sendBatch(batch.map((body) => ({ body, contentType: "json" })))),
  );
}

type RecordBase = Pick<
  EventRecord,
  "id" | "received_at" | "body_sha256" | "body_bytes" | "replay_of" | "jobs" | "gig_ids"
>;

const EMPTY_SUMMARY = {
  available_count: null,
  item_count: null,
  window_from: null,
  window_to: null,
  days_synced: null,
  issues: null,
} as const;

/** The event-log row for a parsed body. */
export function summarize(parsed: ParsedWebhook, base: RecordBase): EventRecord {
  switch (parsed.kind) {
    case "gig": {
      const { event, name, data } = parsed.envelope;
      const shared = {
        ...base,
        ...EMPTY_SUMMARY,
        event,
        subscription: name,
        account: data.account,
        user: data.user,
        status: "accepted" as const,
        available_count: data.available_count,
      };
      switch (parsed.envelope.event) {
        case "gigs.added": {
          const d = parsed.envelope.data;
          return { ...shared, item_count: d.added_count, window_from: d.added_from, window_to: d.added_to };
        }
        case "gigs.updated": {
          const d = parsed.envelope.data;
          return { ...shared, item_count: d.updated_count, window_from: d.updated_from, window_to: d.updated_to };
        }
        case "gigs.removed": {
          const d = parsed.envelope.data;
          return { ...shared, item_count: d.removed_count, window_from: d.removed_from, window_to: d.removed_to };
        }
        case "gigs.partially_synced":
          return { ...shared, days_synced: parsed.envelope.data.days_synced };
        case "gigs.fully_synced":
          return shared;
      }
      break;
    }
    case "other":
      return {
        ...base,
        ...EMPTY_SUMMARY,
        event: parsed.event,
        subscription: parsed.name,
        ...accountOf(parsed.data),
        // An event with work (accounts.removed) is accepted like a gig event, so the sweeper
        // re-queues its work if it never reached the queue.
        status: base.jobs > 0 ? "accepted" : "recorded",
      };
    case "invalid":
      return {
        ...base,
        ...EMPTY_SUMMARY,
        event: parsed.partial.event ?? null,
        subscription: parsed.partial.name ?? null,
        ...accountOf(parsed.partial.data),
        status: "invalid",
        issues: parsed.issues,
      };
  }
}

/** The account and user of a payload, when present and ID-shaped, for filing in the log. */
function accountOf(data: unknown): { account: string | null; user: string | null } {
  const record = typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {};
  const pick = (value: unknown) => (typeof value === "string" && isArgyleId(value) ? value.toLowerCase() : null);
  return { account: pick(record.account), user: pick(record.user) };
}
