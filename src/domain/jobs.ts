/**
 * The queue messages ("jobs") the receiver produces and the consumer runs. Versioned and
 * validated with valibot on both sides, since producers and consumers deploy separately and a
 * message may wait in the queue across a deploy.
 * @module
 */
import * as v from "valibot";
import type { GigEvent } from "./webhook-schema.ts";
import { ArgyleIdSchema } from "./webhook-schema.ts";

export const JOB_VERSION = 1;

/**
 * Gig IDs per fetch/remove message. Sized so one message fits one consumer invocation on the
 * Workers Free plan (50 subrequests): 42 fetches + a freshness read + one batched write, with
 * the batch's continuation and dead-letter sends held back. 42 is a multiple of the six
 * connections an invocation may hold (ARGYLE_MAX_CONCURRENCY's default): with 40, the seventh
 * round of requests ran on four of them, so every message left two idle (BENCHMARKS.md, per-ID
 * fetch). Per 1,000 updated gigs that is 24 messages.
 */
export const IDS_PER_JOB = 42;

const IsoTime = v.pipe(v.string(), v.isoTimestamp());

const jobBase = {
  v: v.literal(JOB_VERSION),
  /** Unique per message; continuations get `<job_id>.<n>`. Keys the attempt log. */
  job_id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  /** The event that caused this work (for audit; the event row may have been pruned). */
  event_id: v.pipe(v.string(), v.maxLength(200)),
  account: ArgyleIdSchema,
  user: v.nullable(ArgyleIdSchema),
  /** When the webhook arrived: a gig fetched after this is fresh enough to skip. */
  received_at: IsoTime,
  available_count: v.optional(v.nullable(v.number())),
  /**
   * What queued the work: a webhook, the cron (reviving a stalled backfill) or an operator's
   * redrive, a scheduled reconciliation, an operator's delete, or retention. Only webhooks speak
   * for Argyle's account state (`available_count`, last webhook). Optional so messages from before
   * this field still parse.
   */
  origin: v.optional(v.picklist(["webhook", "cron", "redrive", "reconcile", "api", "retention"]), "webhook"),
};

/** Fetch these gigs by ID; Argyle's own not-found answer tombstones the gig. */
const FetchGigsJobSchema = v.object({
  ...jobBase,
  kind: v.literal("fetch_gigs"),
  ids: v.pipe(v.array(ArgyleIdSchema), v.minLength(1), v.maxLength(1000)),
});

/** Tombstone these gigs without fetching. */
const RemoveGigsJobSchema = v.object({
  ...jobBase,
  kind: v.literal("remove_gigs"),
  ids: v.pipe(v.array(ArgyleIdSchema), v.minLength(1), v.maxLength(1000)),
});

/** Page through the account's gigs whose start is in [from, to] (a `gigs.added` window). */
const ListWindowJobSchema = v.object({
  ...jobBase,
  kind: v.literal("list_window"),
  from: IsoTime,
  to: IsoTime,
  /** Argyle's `added_count`: a window that yields fewer new gigs than this is backfilled instead. */
  expected: v.optional(v.nullable(v.number()), null),
  /** Gigs new to the mirror found by earlier messages of this walk (see runListWindow). */
  listed: v.optional(v.number(), 0),
  /** Argyle's `next` URL to continue from; null = first page. */
  cursor: v.nullable(v.pipe(v.string(), v.url(), v.maxLength(4000))),
});

/** Page through all of the account's gigs; progress is checkpointed in D1 under `pass`. */
const BackfillJobSchema = v.object({
  ...jobBase,
  kind: v.literal("backfill"),
  /** The pass this message belongs to (the job_id of the message that started it). */
  pass: v.nullable(v.pipe(v.string(), v.maxLength(200))),
  cursor: v.nullable(v.pipe(v.string(), v.url(), v.maxLength(4000))),
  /**
   * Once the pass is done, its unseen gigs are confirmed one by one in id order: the last id a
   * previous message of this pass settled. Read only with `pass` set (a new pass starts from the
   * first id). Optional so older messages still parse.
   */
  confirm_after: v.optional(v.nullable(ArgyleIdSchema)),
});

/**
 * Delete everything the mirror holds for the account, in bounded chunks (see
 * domain/lifecycle/purge.ts). Marks the account purged first; redeliveries and continuations
 * carry on from what is left.
 */
const PurgeAccountJobSchema = v.object({
  ...jobBase,
  kind: v.literal("purge_account"),
  reason: v.picklist(["webhook", "api", "retention"]),
  /** The API token's role when an operator asked for it. */
  token_role: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(20))), null),
});

/**
 * Move the account to shard `to` (domain/shards/move.ts): one bounded step after another while the
 * budget lasts, the rest as a continuation; every step checkpoints in the catalog's directory, so a
 * lost message is revived by the cron and resumes where the move stands. `move_id` names the move:
 * a message of an earlier move changes nothing.
 */
const MoveAccountJobSchema = v.object({
  ...jobBase,
  kind: v.literal("move_account"),
  to: v.pipe(v.string(), v.regex(/^SHARD_[1-9]\d*$/)),
  move_id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
});

export const JobSchema = v.variant("kind", [
  FetchGigsJobSchema,
  RemoveGigsJobSchema,
  ListWindowJobSchema,
  BackfillJobSchema,
  PurgeAccountJobSchema,
  MoveAccountJobSchema,
]);

export type Job = v.InferOutput<typeof JobSchema>;
export type FetchGigsJob = v.InferOutput<typeof FetchGigsJobSchema>;
export type RemoveGigsJob = v.InferOutput<typeof RemoveGigsJobSchema>;
export type ListWindowJob = v.InferOutput<typeof ListWindowJobSchema>;
export type BackfillJob = v.InferOutput<typeof BackfillJobSchema>;
export type PurgeAccountJob = v.InferOutput<typeof PurgeAccountJobSchema>;
export type MoveAccountJob = v.InferOutput<typeof MoveAccountJobSchema>;
export type JobKind = Job["kind"];

/** Context the planner stamps on every job of one delivery. */
export interface JobOrigin {
  eventId: string;
  receivedAt: string;
}

/**
 * The work a gig event asks for. `gigs.updated` → fetch its IDs, `gigs.removed` → tombstone its
 * IDs, `gigs.added` → list its window (or backfill if Argyle left the window out), `*_synced` →
 * backfill. IDs are de-duplicated so each is enqueued exactly once per delivery.
 */
export function planJobs(gigEvent: GigEvent, origin: JobOrigin): Job[] {
  const { data } = gigEvent;
  const base = {
    v: JOB_VERSION,
    event_id: origin.eventId,
    account: data.account,
    user: data.user,
    received_at: origin.receivedAt,
    available_count: data.available_count,
    origin: "webhook",
  } as const;
  const jobId = (n: number) => `${origin.eventId}:${n}`;
  switch (gigEvent.event) {
    case "gigs.updated":
      return chunk(unique(gigEvent.data.updated_gigs), IDS_PER_JOB).map((ids, n) => ({
        ...base,
        job_id: jobId(n),
        kind: "fetch_gigs",
        ids,
      }));
    case "gigs.removed":
      return chunk(unique(gigEvent.data.removed_gigs), IDS_PER_JOB).map((ids, n) => ({
        ...base,
        job_id: jobId(n),
        kind: "remove_gigs",
        ids,
      }));
    case "gigs.added": {
      const from = epochMs(gigEvent.data.added_from);
      const to = epochMs(gigEvent.data.added_to);
      if (from === null || to === null)
        return [{ ...base, job_id: jobId(0), kind: "backfill", pass: null, cursor: null }];
      return [
        {
          ...base,
          job_id: jobId(0),
          kind: "list_window",
          from: new Date(from - WINDOW_MARGIN_MS).toISOString(),
          to: new Date(to + WINDOW_MARGIN_MS).toISOString(),
          expected: gigEvent.data.added_count,
          listed: 0,
          cursor: null,
        },
      ];
    }
    case "gigs.partially_synced":
    case "gigs.fully_synced":
      return [{ ...base, job_id: jobId(0), kind: "backfill", pass: null, cursor: null }];
  }
}

/**
 * Widening of a `gigs.added` window on each side. Argyle's window bounds and its gigs' start
 * times may differ in precision or rounding (`…00Z` against `…00.037Z`); listing a few more gigs
 * than were added costs little and can only add, while a gig just outside would be missed.
 */
export const WINDOW_MARGIN_MS = 60 * 60_000;

function epochMs(value: string | null): number | null {
  if (value === null) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** Gig IDs a job names (empty for list and backfill jobs). */
export function jobGigIds(job: Job): string[] {
  return job.kind === "fetch_gigs" || job.kind === "remove_gigs" ? job.ids : [];
}

// Queue limits: a message ≤ 128 KB; one sendBatch ≤ 100 messages and ≤ 256 KB. Each message
// also carries up to ~100 bytes of metadata, so budget for it, and keep a margin below the caps.
const MAX_BATCH_MESSAGES = 100;
const MAX_BATCH_BYTES = 250_000;
const MAX_MESSAGE_BYTES = 120_000;
const PER_MESSAGE_OVERHEAD = 100;

/**
 * Splits messages into `sendBatch` calls that respect the Queue's size and count limits.
 * `bodyOf` picks each item's message body (by default, the item itself).
 */
export function toSendBatches<T>(items: readonly T[], bodyOf: (item: T) => unknown = (item) => item): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = jsonBytes(bodyOf(item)) + PER_MESSAGE_OVERHEAD;
    if (size > MAX_MESSAGE_BYTES) throw new Error(`a message of ${size} bytes is over the queue's limit`);
    if (current.length === MAX_BATCH_MESSAGES || bytes + size > MAX_BATCH_BYTES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

const encoder = new TextEncoder();

function jsonBytes(body: unknown): number {
  return encoder.encode(JSON.stringify(body) ?? "null").byteLength;
}

/** Validates a message body off the queue. */
export function parseJob(body: unknown): v.SafeParseResult<typeof JobSchema> {
  return v.safeParse(JobSchema, body);
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
