/**
 * The jobs a signed webhook asks for: the gig events' (domain/jobs.ts) and `accounts.removed`,
 * which purges the account. Shared by ingest and the cron's sweep of un-queued events, so both
 * plan exactly the same work.
 * @module
 */
import * as v from "valibot";
import { JOB_VERSION, type Job, type JobOrigin, type PurgeAccountJob, planJobs } from "../jobs.ts";
import { ArgyleIdSchema, GIG_EVENT_NAMES, type ParsedWebhook } from "../webhook-schema.ts";

export const ACCOUNT_REMOVED = "accounts.removed";

/** Every event the mirror acts on: what a subscription should name. */
export const MIRRORED_EVENTS = [...GIG_EVENT_NAMES, ACCOUNT_REMOVED] as const;

/** `accounts.removed`'s data, `{account, user}` (Argyle's documented payload). */
const AccountRemovedSchema = v.looseObject({ account: ArgyleIdSchema, user: v.nullish(ArgyleIdSchema, null) });

export function planWebhookJobs(parsed: ParsedWebhook, origin: JobOrigin): Job[] {
  if (parsed.kind === "gig") return planJobs(parsed.envelope, origin);
  if (parsed.kind === "other" && parsed.event === ACCOUNT_REMOVED) {
    const data = v.safeParse(AccountRemovedSchema, parsed.data);
    // Without a usable account id there is nothing to purge; the event is still recorded.
    if (!data.success) return [];
    return [
      purgeJob({
        account: data.output.account,
        user: data.output.user,
        reason: "webhook",
        tokenRole: null,
        jobId: `${origin.eventId}:0`,
        eventId: origin.eventId,
        receivedAt: origin.receivedAt,
      }),
    ];
  }
  return [];
}

export function purgeJob(p: {
  account: string;
  user: string | null;
  reason: PurgeAccountJob["reason"];
  tokenRole: string | null;
  jobId: string;
  eventId: string;
  receivedAt: string;
}): PurgeAccountJob {
  return {
    v: JOB_VERSION,
    kind: "purge_account",
    job_id: p.jobId,
    event_id: p.eventId,
    account: p.account,
    user: p.user,
    received_at: p.receivedAt,
    origin: p.reason === "webhook" ? "webhook" : p.reason,
    reason: p.reason,
    token_role: p.tokenRole,
  };
}
