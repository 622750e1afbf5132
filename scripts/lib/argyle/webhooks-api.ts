/**
 * Argyle's webhook management API: POST /v2/webhooks (answers 200), GET /v2/webhooks (pages
 * linked by `next`), DELETE /v2/webhooks/{id} (answers 204). Any other answer becomes an
 * `ArgyleRefused` carrying Argyle's own message; no answer at all, an `ArgyleUnreachable`.
 * @see /work/shared/reference/argyle.md §4
 * @module
 */

import { CliFailure, describeFetchError } from "../common/cli-errors.ts";
import { basicAuthorization, fetchJson, isSuccess, type JsonResponse } from "../common/fetch-json.ts";
import type { ArgyleApiConfig } from "./config.ts";
import { describeArgyleError } from "./error-text.ts";
import type { SubscriptionRequest } from "./webhook-subscriptions.ts";

/** A subscription as Argyle returns it. */
export interface Webhook {
  id: string;
  name: string;
  events: string[];
  config: Record<string, unknown> | null;
  secret: string | null;
  url: string;
  created_at: string;
  updated_at: string;
  last_sent_at: string | null;
}

/** Argyle answered, and not with success. The message is Argyle's, rendered plainly. */
export class ArgyleRefused extends CliFailure {
  override name = "ArgyleRefused";
  readonly status: number;

  constructor(response: JsonResponse) {
    super(describeArgyleError(response.status, response.json, response.text));
    this.status = response.status;
  }
}

export async function createWebhook(config: ArgyleApiConfig, request: SubscriptionRequest): Promise<Webhook> {
  const response = await call(config, `${config.url}/webhooks`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  return response.json as Webhook;
}

/** Every subscription, following `next` to the last page. */
export async function listWebhooks(config: ArgyleApiConfig): Promise<Webhook[]> {
  const webhooks: Webhook[] = [];
  // 200 is Argyle's largest page: fewest round trips.
  let url: string | null = `${config.url}/webhooks?limit=200`;
  for (let pages = 0; url !== null; pages++) {
    // The API key goes only to the configured API, whatever a `next` link says.
    if (new URL(url).origin !== new URL(config.url).origin) {
      throw new CliFailure(`Argyle's next link leaves ${new URL(config.url).origin}: ${url}`);
    }
    if (pages === 1000) throw new CliFailure("GET /v2/webhooks kept answering with a next page; stopped after 1000");
    const body = (await call(config, url, { method: "GET" })).json as { next: string | null; results: Webhook[] };
    webhooks.push(...body.results);
    url = body.next;
  }
  return webhooks;
}

export async function deleteWebhook(config: ArgyleApiConfig, id: string): Promise<void> {
  await call(config, `${config.url}/webhooks/${encodeURIComponent(id)}`, { method: "DELETE" });
}

async function call(config: ArgyleApiConfig, url: string, init: RequestInit): Promise<JsonResponse> {
  const headers = new Headers(init.headers);
  headers.set("authorization", basicAuthorization(config.keyId, config.keySecret));
  headers.set("accept", "application/json");
  let response: JsonResponse;
  try {
    response = await fetchJson(url, { ...init, headers });
  } catch (error) {
    throw new CliFailure(
      `could not reach Argyle at ${config.url}: ${describeFetchError(error)}` +
        (config.local ? " (is `npm run dev` running? it starts the local Argyle)" : ""),
    );
  }
  if (!isSuccess(response.status)) throw new ArgyleRefused(response);
  return response;
}
