/**
 * Delivers a gig event to the subscriptions that asked for it, as Argyle does: POST of
 * `{event, name, data}` (name = the subscription's name) as JSON, signed with
 * `X-Argyle-Signature` = hex HMAC-SHA512 of the exact body when the subscription has a secret.
 * @module
 */
import { describeError } from "../domain/errors.ts";
import { SIGNATURE_HEADER, signBody } from "../domain/signature.ts";
import type { Faults } from "./faults.ts";
import type { AccountRemovedData, GigEventData, GigEventName, Webhook } from "./model.ts";
import type { LocalArgyleStats } from "./stats.ts";
import type { ArgyleStore } from "./store.ts";

/** Sends one delivery. Default: `fetch`. Tests pass a handler to capture or answer in-process. */
export type Deliver = (request: Request) => Promise<Response>;

export interface DeliveryResult {
  webhook: string;
  name: string;
  url: string;
  /** The receiver's HTTP status; null when it could not be reached. */
  status: number | null;
  error: string | null;
  /** Only for `gigs.partially_synced`, whose `days_synced` follows each subscription's config. */
  days_synced?: number;
}

export interface DeliveryDeps {
  store: ArgyleStore;
  /** The webhook faults (signature, data, paused) apply when given. */
  faults?: Faults;
  stats: LocalArgyleStats;
  deliver: Deliver;
  timeoutMs: number;
}

/** Posts `event` to every subscription of it, concurrently; `dataFor` gives each one's data. */
export async function deliverEvent(
  deps: DeliveryDeps,
  event: GigEventName | "accounts.removed",
  dataFor: (webhook: Webhook) => GigEventData | AccountRemovedData,
): Promise<DeliveryResult[]> {
  const subscriptions = deps.store.webhooks.subscribedTo(event);
  return Promise.all(subscriptions.map((webhook) => deliverOne(deps, webhook, event, dataFor(webhook))));
}

async function deliverOne(
  deps: DeliveryDeps,
  webhook: Webhook,
  event: GigEventName | "accounts.removed",
  data: GigEventData | AccountRemovedData,
): Promise<DeliveryResult> {
  const faults = deps.faults?.settings;
  const { account: _account, ...withoutAccount } = data as GigEventData & { account?: unknown };
  const body = JSON.stringify({ event, name: webhook.name, data: faults?.webhookDataInvalid ? withoutAccount : data });
  const headers: Record<string, string> = { "content-type": "application/json" };
  // Argyle signs only for subscriptions that were given a secret.
  if (webhook.secret) {
    const secret = faults?.webhookSignatureWrong ? `${webhook.secret}-wrong` : webhook.secret;
    headers[SIGNATURE_HEADER] = await signBody(secret, body);
  }
  const result: DeliveryResult = {
    webhook: webhook.id,
    name: webhook.name,
    url: webhook.url,
    status: null,
    error: null,
  };
  if ("days_synced" in data) result.days_synced = data.days_synced;
  if (faults?.webhooksPaused) {
    result.error = "not sent: webhooksPaused fault";
    return result;
  }
  deps.store.webhooks.markSent(webhook.id, deps.store.now());
  try {
    const request = new Request(webhook.url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
    const response = await deps.deliver(request);
    // Read the answer so the connection is released; its content does not matter.
    await response.arrayBuffer().catch(() => undefined);
    result.status = response.status;
  } catch (error) {
    result.error = describeError(error);
  }
  deps.stats.recordDelivery(result.status !== null && result.status >= 200 && result.status < 300);
  return result;
}
