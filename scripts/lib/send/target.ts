/**
 * Who and what a sent webhook is about: the account, its user, Argyle's `available_*` figures and
 * the gigs, taken from the local Argyle so the payload describes data it really has (and the
 * consumer's fetches of those gigs succeed). Without the local Argyle, `--account` (and `--ids`)
 * still work; what cannot be known is left null, as Argyle's schema allows, and said so.
 * @module
 */
import { createHash } from "node:crypto";
import { CliFailure } from "../common/cli-errors.ts";
import {
  type GigRef,
  type LocalAccount,
  type LocalArgyleSource,
  LocalArgyleUnreachable,
} from "../common/local-argyle-client.ts";
import type { SendEvent, SendPlan } from "./args.ts";

/** Argyle's default `days_synced` for gigs.partially_synced (its gigs webhooks reference). */
export const DEFAULT_DAYS_SYNCED = 30;
const DAY_MS = 86_400_000;

export interface Availability {
  available_from: string | null;
  available_to: string | null;
  available_count: number | null;
}

export interface TargetGig {
  id: string;
  /** Its `start_datetime`; null when the local Argyle does not know the gig. */
  start: string | null;
}

export interface SendTarget {
  account: string;
  user: string;
  availability: Availability;
  /**
   * gigs.updated/removed: the gigs listed; gigs.added: the gigs in the new window;
   * gigs.partially_synced: the gigs synced so far; otherwise none.
   */
  gigs: TargetGig[];
  /** The event's count (`*_count`): gigs.length, or `--count` when the gigs are unknown. */
  count: number;
  /** For gigs.partially_synced. */
  daysSynced: number | null;
  /** Things the user should know about how the target was chosen. */
  notes: string[];
}

/** Picks the target of `plan` from what `source` (the local Argyle) knows. */
export async function resolveTarget(plan: SendPlan, source: LocalArgyleSource): Promise<SendTarget> {
  const notes: string[] = [];
  let accounts: LocalAccount[] | null = null;
  let missing = "the local Argyle does not know the account";
  try {
    accounts = await source.accounts();
  } catch (error) {
    if (!(error instanceof LocalArgyleUnreachable)) throw error;
    if (plan.account === null) {
      throw new CliFailure(
        `cannot reach the local Argyle at ${source.origin} (${error.message}) to pick an account and gigs. ` +
          "Start it with `npm run dev`, or pass --account (and --ids) to send without it.",
      );
    }
    missing = `the local Argyle at ${source.origin} is not reachable`;
    notes.push(`${missing} (${error.message}); using only what you passed`);
  }

  const account = plan.account ?? (await defaultAccount(plan, source, accounts ?? []));
  const known = accounts?.find((a) => a.id === account) ?? null;
  if (accounts !== null && known === null) notes.push(`the local Argyle does not know account ${account}`);
  if (known === null)
    notes.push("available_from, available_to and available_count are null: nothing to take them from");

  let user = plan.user ?? known?.user;
  if (user === undefined) {
    user = madeUpUser(account);
    notes.push(`user ${user} is made up (derived from the account); pass --user to set it`);
  }
  const availability: Availability = known
    ? { available_from: known.available_from, available_to: known.available_to, available_count: known.gigs }
    : { available_from: null, available_to: null, available_count: null };
  const list = known && needsGigList(plan.event) ? await source.gigs(account) : null;
  const base = { account, user, availability, daysSynced: null, notes };

  switch (plan.event) {
    case "gigs.updated":
    case "gigs.removed": {
      const gigs = listedGigs(plan, list, notes, missing);
      return { ...base, gigs, count: gigs.length };
    }
    case "gigs.added": {
      if (list === null) {
        notes.push("added_from and added_to are null: the consumer will backfill the account instead");
        return { ...base, gigs: [], count: plan.count };
      }
      const gigs = newestWindow(list, plan.count, notes);
      return { ...base, gigs, count: gigs.length };
    }
    case "gigs.partially_synced": {
      if (list === null) return { ...base, gigs: [], count: 0, daysSynced: DEFAULT_DAYS_SYNCED };
      const gigs = syncedPart(list, DEFAULT_DAYS_SYNCED);
      const partial = { ...availability, available_from: gigs[0]?.start ?? null, available_count: gigs.length };
      return { ...base, availability: partial, gigs, count: gigs.length, daysSynced: DEFAULT_DAYS_SYNCED };
    }
    case "gigs.fully_synced":
    case "accounts.removed":
    case "accounts.connected":
      return { ...base, gigs: [], count: 0 };
  }
}

/** The local Argyle's first account, or the account the first of `--ids` belongs to. */
async function defaultAccount(plan: SendPlan, source: LocalArgyleSource, accounts: LocalAccount[]): Promise<string> {
  const [firstId] = plan.ids ?? [];
  if (firstId !== undefined) {
    const gig = await source.gig(firstId);
    if (gig === null) throw new CliFailure(`the local Argyle does not know gig ${firstId}: pass --account`);
    return gig.account;
  }
  const first = accounts[0];
  if (!first) throw new CliFailure(`the local Argyle at ${source.origin} has no accounts: pass --account`);
  return first.id;
}

function needsGigList(event: SendEvent): boolean {
  return (
    event === "gigs.updated" || event === "gigs.removed" || event === "gigs.added" || event === "gigs.partially_synced"
  );
}

/** `--ids` as given (with their starts where known), or the account's `--count` newest gigs. */
function listedGigs(plan: SendPlan, list: GigRef[] | null, notes: string[], missing: string): TargetGig[] {
  const starts = new Map(list?.map((g) => [g.id, g.start_datetime]));
  if (plan.ids !== null) {
    const unknown = list === null ? [] : plan.ids.filter((id) => !starts.has(id));
    if (unknown.length > 0) notes.push(`the local Argyle has no gig ${unknown.join(", ")} in this account`);
    return plan.ids.map((id) => ({ id, start: starts.get(id) ?? null }));
  }
  if (list === null) throw new CliFailure(`no gigs to pick for ${plan.event} (${missing}): pass --ids`);
  if (list.length === 0) throw new CliFailure(`account has no gigs at the local Argyle: nothing to ${plan.event}`);
  if (plan.count > list.length) notes.push(`the account has only ${list.length} gigs; sending all of them`);
  return list.slice(-plan.count).map(toTargetGig);
}

/**
 * What a refresh that found the `count` newest gigs would report: the window from the earliest to
 * the latest of them, and every gig in it (ties at the start time included, as Argyle's inclusive
 * `from_start_datetime` returns them).
 */
function newestWindow(list: GigRef[], count: number, notes: string[]): TargetGig[] {
  if (list.length === 0) {
    notes.push("the account has no gigs at the local Argyle: added_count is 0");
    return [];
  }
  if (count > list.length) notes.push(`the account has only ${list.length} gigs; the window covers all of them`);
  const newest = list.slice(-count);
  const from = Date.parse((newest[0] as GigRef).start_datetime);
  return list.filter((g) => Date.parse(g.start_datetime) >= from).map(toTargetGig);
}

/** The gigs starting within `days` of the account's latest gig: what the local Argyle reports as synced. */
function syncedPart(list: GigRef[], days: number): TargetGig[] {
  const last = list.at(-1);
  if (!last) return [];
  const since = Date.parse(last.start_datetime) - days * DAY_MS;
  return list.filter((g) => Date.parse(g.start_datetime) >= since).map(toTargetGig);
}

function toTargetGig(gig: GigRef): TargetGig {
  return { id: gig.id, start: gig.start_datetime };
}

/** A stable user ID for an account nobody told us the user of, so repeated sends agree. */
export function madeUpUser(account: string): string {
  const hex = createHash("sha256").update(`user-of:${account}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
