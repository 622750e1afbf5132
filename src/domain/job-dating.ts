/**
 * The one rule for dating work: a job carries the time its webhook first arrived, however it
 * reaches the queue (on arrival, from the outbox sweeper, by a replay, by a redrive). The consumer
 * compares that date with what it already knows (a gig fetched later is fresher; an account's
 * state from a later webhook is newer), so dating old work "now" would let it overwrite newer
 * truth: a replayed old event rewinding `available_count`, or re-removing a gig Argyle has since
 * served alive. Every path asks this module, so they cannot drift apart again.
 * @module
 */
import type { Job } from "./jobs.ts";

/** An event row as far as dating goes: `arrived_at` is null only on rows from before migration 0004. */
export interface EventArrival {
  received_at: string;
  arrived_at: string | null;
}

/** What work can be dated from: the event it was planned from, or an earlier message of the same work. */
export type WorkSource = { event: EventArrival } | { job: Pick<Job, "received_at"> };

/** When the webhook behind `source` first arrived: the `received_at` every job of it carries. */
export function webhookArrivedAt(source: WorkSource): string {
  // A job was dated when it was planned; a redrive or continuation keeps that date, never "now".
  if ("job" in source) return source.job.received_at;
  return source.event.arrived_at ?? source.event.received_at;
}
