/**
 * The local Argyle: a faithful fake of Argyle's gigs and webhooks API for dev runs, tests and
 * benchmarks (never deployed). Runtime-agnostic: Web APIs only, so it runs in Node and workerd.
 *
 * ```ts
 * const argyle = createLocalArgyle({ seed: 1, accounts: [{ gigs: 25 }], deliver: (req) => receiver.fetch(req) });
 * await argyle.app.request("/v2/gigs?limit=5", { headers: { authorization: basicAuthHeader(argyle.credentials) } });
 * await argyle.mutate({ action: "update", count: 3 });
 * ```
 * @module
 */
import { Hono } from "hono";
import { controlRoutes } from "./control-routes.ts";
import type { Deliver } from "./delivery.ts";
import { type FaultInput, Faults } from "./faults.ts";
import { gigRoutes } from "./gig-routes.ts";
import { basicAuth, type Credentials, countRequests, detail, latency, NOT_FOUND } from "./http.ts";
import { type MutateRequest, type MutateResult, mutate } from "./mutate.ts";
import { deriveRandom } from "./random.ts";
import { LocalArgyleStats } from "./stats.ts";
import { ArgyleStore, type StoreOptions } from "./store.ts";
import { webhookRoutes } from "./webhook-routes.ts";

export const DEFAULT_KEY_ID = "local-key-id";
export const DEFAULT_KEY_SECRET = "local-key-secret";

export interface LocalArgyleOptions extends StoreOptions {
  /** HTTP Basic username every /v2 request must send. Default "local-key-id". */
  keyId?: string;
  /** HTTP Basic password. Default "local-key-secret". */
  keySecret?: string;
  /** Initial fault knobs (see `FaultSettingsSchema`); default none. */
  faults?: FaultInput;
  /** How webhooks are sent. Default `fetch`; pass a handler to deliver in-process or capture. */
  deliver?: Deliver;
  /** Give up on a webhook delivery after this long. Default 10 s. */
  deliveryTimeoutMs?: number;
}

export interface LocalArgyle {
  /** The HTTP surface: /v2 (Argyle's API) and /_local (control). Use `app.request()` or `app.fetch`. */
  app: Hono;
  store: ArgyleStore;
  faults: Faults;
  stats: LocalArgyleStats;
  credentials: Credentials;
  /** The same as POST /_local/mutate: change the data, deliver the signed webhook. */
  mutate: (request: MutateRequest) => Promise<MutateResult>;
}

export function createLocalArgyle(options: LocalArgyleOptions = {}): LocalArgyle {
  const store = new ArgyleStore(options);
  // Fault draws get their own stream: changing the data never shifts which requests fail.
  const faults = new Faults(options.faults ?? {}, deriveRandom(store.seed, "faults").uint32());
  const stats = new LocalArgyleStats();
  const credentials = { keyId: options.keyId ?? DEFAULT_KEY_ID, keySecret: options.keySecret ?? DEFAULT_KEY_SECRET };
  const deliveryDeps = {
    store,
    faults,
    stats,
    deliver: options.deliver ?? ((request: Request) => fetch(request)),
    timeoutMs: options.deliveryTimeoutMs ?? 10_000,
  };

  const api = new Hono();
  api.use("*", countRequests(stats), latency(faults), basicAuth(credentials, faults, stats));
  api.route("/gigs", gigRoutes({ store, faults, stats }));
  api.route("/webhooks", webhookRoutes(store));

  const app = new Hono();
  app.route("/_local", controlRoutes(deliveryDeps));
  app.route("/v2", api);
  app.notFound((c) => detail(c, 404, NOT_FOUND));
  app.onError((error, c) => {
    console.error("local argyle: unhandled error", error);
    return detail(c, 500, "A server error occurred.");
  });

  return { app, store, faults, stats, credentials, mutate: (request) => mutate(deliveryDeps, request) };
}

/** The Authorization header value for `credentials`. */
export function basicAuthHeader(credentials: Credentials): string {
  const bytes = new TextEncoder().encode(`${credentials.keyId}:${credentials.keySecret}`);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}
