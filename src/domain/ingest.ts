/**
 * Ingest of one signed webhook body: classify it, record it in D1 with its planned work, then
 * send that work to the Queue. Free of Hono so the receiver route and replays run exactly the
 * same steps, and the consumer's sweeper plans exactly the same jobs from the stored row.
 *
 * The event row is a transactional outbox: the row, its raw body and (deterministically, from
 * both) its jobs with their ids are committed in one D1 batch, and that commit is the promise.
 * Sending happens after the answer; whatever is not marked sent, the cron sends.
 * @module
 */
import { describeError, UnavailableError } from "./errors.ts";
import { isArgyleId, newTimeOrderedId } from "./ids.ts";
import { type EventArrival, webhookArrivedAt } from "./job-dating.ts";
import { type Job, jobGigIds, toSendBatches } from "./jobs.ts";
import { planWebhookJobs } from "./lifecycle/plan.ts";
import { logWarn } from "./log.ts";
import { sha256Hex } from "./signature.ts";
import { type EventRecord, type EventStatus, insertEvent, markEnqueuedStatement } from "./storage/events.ts";
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
  /**
   * Sends the jobs and marks the event sent: hand it to `waitUntil`. Never rejects; on failure
   * the event stays in the outbox and the cron's sweeper sends it.
   */
  settle: Promise<void>;
}

export interface IngestOptions {
  /** The event this body is replayed from: its id, and its arrival, which dates the work. */
  replayOf?: { id: string } & EventArrival;
  now?: Date;
}

/**
 * Records `body` as an event together with its planned jobs, in one D1 transaction. Resolves once
 * that commit is durable: from then on the work cannot be lost. Throws `UnavailableError` only if
 * D1 fails. Such a failure may still have committed (only the answer lost): the row is then kept,
 * the sweeper sends its work, and a redelivery of the same body is filed as its `duplicate_of`.
 */
export async function ingestWebhook(
  deps: IngestDeps,
  body: Uint8Array<ArrayBuffer>,
  options: IngestOptions = {},
): Promise<IngestResult> {
  const now = options.now ?? new Date();
  const id = newTimeOrderedId(now.getTime());
  const receivedAt = now.toISOString();
  const arrivedAt = options.replayOf ? webhookArrivedAt({ event: options.replayOf }) : receivedAt;
  const parsed = parseWebhook(body);
  const jobs = planParsed(parsed, id, arrivedAt);
  const record = summarize(parsed, {
    id,
    received_at: receivedAt,
    arrived_at: arrivedAt,
    body_sha256: await sha256Hex(body),
    body_bytes: body.byteLength,
    replay_of: options.replayOf?.id ?? null,
    jobs: jobs.length,
    // The plan already holds each distinct ID once: count them there, not in the payload again.
    gig_ids: jobs.reduce((n, job) => n + jobGigIds(job).length, 0),
  });

  let duplicateOf: string | null;
  try {
    duplicateOf = await insertEvent(deps.db, record, body);
  } catch (cause) {
    throw new UnavailableError("d1", { cause });
  }

  return {
    id,
    status: record.status,
    event: record.event,
    account: record.account,
    duplicateOf,
    gigIds: record.gig_ids,
    jobs: jobs.length,
    settle: jobs.length > 0 ? sendRecorded(deps, id, jobs) : Promise.resolve(),
  };
}

/**
 * The jobs a stored event stands for: the same jobs, with the same ids and date, whether planned
 * on arrival or again by the sweeper from the stored row (`arrivedAt` from webhookArrivedAt).
 */
export function planParsed(parsed: ParsedWebhook, eventId: string, arrivedAt: string): Job[] {
  return planWebhookJobs(parsed, { eventId, receivedAt: arrivedAt });
}

/** Sends a recorded event's jobs, then marks it sent. Never rejects: the outbox keeps what failed. */
async function sendRecorded(deps: IngestDeps, id: string, jobs: readonly Job[]): Promise<void> {
  try {
    await sendJobs(deps.jobs, jobs);
  } catch (error) {
    logWarn("queue send failed; the event stays in the outbox for the cron", { id, error: describeError(error) });
    return;
  }
  try {
    await markEnqueuedStatement(deps.db, id, new Date().toISOString()).run();
  } catch (error) {
    logWarn("could not mark event sent; the cron may send it again (harmless)", { id, error: describeError(error) });
  }
}

/** Sends jobs in as few `sendBatch` calls as the Queue's limits allow, concurrently. */
export async function sendJobs(queue: Queue<Job>, jobs: readonly Job[]): Promise<void> {
  await Promise.all(
    toSendBatches(jobs).map((batch) => queue.sendBatch(batch.map((body) => ({ body, contentType: "json" })))),
  );
}

type RecordBase = Pick<
  EventRecord,
  "id" | "received_at" | "arrived_at" | "body_sha256" | "body_bytes" | "replay_of" | "jobs" | "gig_ids"
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
