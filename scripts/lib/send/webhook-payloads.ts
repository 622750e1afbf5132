/**
 * Webhook bodies in the shapes of Argyle's gigs webhooks reference (and `accounts.connected`):
 * the `{event, name, data}` envelope, `data`'s fields in Argyle's order, counts as integers.
 * @see /work/shared/reference/argyle.md §3.2, §3.3
 * @module
 */
import type { SendEvent } from "./args.ts";
import type { SendTarget, TargetGig } from "./target.ts";

/** The subscription name Argyle echoes in every payload: `npm run argyle -- webhooks create`'s default. */
export const SUBSCRIPTION_NAME = "argyle-gig-mirror";

export interface Envelope {
  event: SendEvent;
  name: string;
  data: Record<string, unknown>;
}

/** The payload Argyle would send for `event` about `target`. */
export function buildPayload(event: SendEvent, target: SendTarget, name: string = SUBSCRIPTION_NAME): Envelope {
  const { account, user } = target;
  if (event === "accounts.connected" || event === "accounts.removed") return { event, name, data: { account, user } };
  const common = { account, user, ...target.availability };
  const [from, to] = startWindow(target.gigs);
  const ids = target.gigs.map((g) => g.id);
  switch (event) {
    case "gigs.added":
      return { event, name, data: { ...common, added_count: target.count, added_from: from, added_to: to } };
    case "gigs.updated":
      return {
        event,
        name,
        data: { ...common, updated_count: ids.length, updated_gigs: ids, updated_from: from, updated_to: to },
      };
    case "gigs.removed":
      return {
        event,
        name,
        data: { ...common, removed_count: ids.length, removed_gigs: ids, removed_from: from, removed_to: to },
      };
    case "gigs.partially_synced":
      return { event, name, data: { ...common, days_synced: target.daysSynced } };
    case "gigs.fully_synced":
      return { event, name, data: common };
  }
}

/** The earliest and latest start among the gigs whose start is known (Argyle's `*_from`/`*_to`). */
function startWindow(gigs: readonly TargetGig[]): [string | null, string | null] {
  const starts = gigs.flatMap((g) => (g.start === null ? [] : [g.start]));
  if (starts.length === 0) return [null, null];
  starts.sort((a, b) => Date.parse(a) - Date.parse(b));
  return [starts[0] ?? null, starts.at(-1) ?? null];
}
