/**
 * One data refresh at the local Argyle, end to end: change the store, then deliver the signed
 * webhook Argyle would send to every subscription of that event. Backs POST /_local/mutate and
 * `LocalArgyle.mutate()`.
 * @module
 */
import * as v from "valibot";
import { ARGYLE_ID_PATTERN } from "../domain/ids.ts";
import { type DeliveryDeps, type DeliveryResult, deliverEvent } from "./delivery.ts";
import type { AccountRemovedData, GigEventPayload } from "./model.ts";
import { DEFAULT_DAYS_SYNCED, MutationError } from "./store.ts";

const Id = v.pipe(v.string(), v.regex(ARGYLE_ID_PATTERN, "must be an Argyle ID"));

export const MutateRequestSchema = v.strictObject({
  action: v.picklist(["update", "remove", "add", "partially_synced", "fully_synced", "remove_account"]),
  /** The account to change; default the first one. */
  account: v.optional(Id),
  /** How many random gigs to update, remove or add; default 1. */
  count: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100_000))),
  /** Exactly which gigs to update or remove (instead of `count`). */
  ids: v.optional(v.pipe(v.array(Id), v.maxLength(100_000))),
  /** For `partially_synced`: overrides every subscription's `config.days_synced` (default 30). */
  days_synced: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});

export type MutateRequest = v.InferInput<typeof MutateRequestSchema>;

export interface MutateResult {
  event: GigEventPayload["event"] | "accounts.removed";
  /** The webhook payload (its `name` is each subscription's own, so it is left out here). */
  payload: GigEventPayload | { event: "accounts.removed"; data: AccountRemovedData };
  /** Gigs changed, removed or added. */
  gig_ids: string[];
  deliveries: DeliveryResult[];
}

/** Applies `request` and delivers its webhook. Throws `MutationError` for a request it cannot apply. */
export async function mutate(deps: DeliveryDeps, request: MutateRequest): Promise<MutateResult> {
  const parsed = v.safeParse(MutateRequestSchema, request);
  if (!parsed.success) {
    throw new MutationError(parsed.issues.map((i) => `${v.getDotPath(i) ?? "(body)"}: ${i.message}`).join("; "));
  }
  const { action, ids, days_synced: days } = parsed.output;
  const { store } = deps;
  const account = parsed.output.account?.toLowerCase() ?? store.accounts()[0]?.id;
  if (!account || !store.account(account)) throw new MutationError(`no account ${account ?? "(the dataset has none)"}`);
  if (ids && parsed.output.count !== undefined) throw new MutationError("give either count or ids, not both");
  if (ids && (action === "add" || action === "remove_account" || action.endsWith("synced")))
    throw new MutationError(`ids do not apply to ${action}`);
  const target = ids?.map((id) => id.toLowerCase()) ?? parsed.output.count ?? 1;

  switch (action) {
    case "update":
    case "remove":
    case "add": {
      const change =
        action === "update"
          ? store.updateGigs(account, target)
          : action === "remove"
            ? store.removeGigs(account, target)
            : store.addGigs(account, target as number);
      const deliveries = await deliverEvent(deps, change.event, () => change.data);
      return {
        event: change.event,
        payload: { event: change.event, data: change.data },
        gig_ids: change.gigIds,
        deliveries,
      };
    }
    case "partially_synced": {
      const payload = store.partiallySynced(account, days ?? DEFAULT_DAYS_SYNCED);
      // Each subscription is told about the number of days it asked for.
      const deliveries = await deliverEvent(
        deps,
        payload.event,
        (webhook) => store.partiallySynced(account, days ?? webhook.config.days_synced ?? DEFAULT_DAYS_SYNCED).data,
      );
      return { event: payload.event, payload, gig_ids: [], deliveries };
    }
    case "remove_account": {
      // Forgotten first: by the time the webhook arrives, Argyle no longer serves the account.
      const data = store.removeAccount(account);
      const deliveries = await deliverEvent(deps, "accounts.removed", () => data);
      return { event: "accounts.removed", payload: { event: "accounts.removed", data }, gig_ids: [], deliveries };
    }
    case "fully_synced": {
      const payload = store.fullySynced(account);
      const deliveries = await deliverEvent(deps, payload.event, () => payload.data);
      return { event: payload.event, payload, gig_ids: [], deliveries };
    }
  }
}
