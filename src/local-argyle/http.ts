/**
 * HTTP plumbing shared by the local Argyle's routes: Argyle's (DRF's) error bodies, HTTP Basic
 * auth, latency, request counting, and a sleep that gives up when the client does.
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Faults } from "./faults.ts";
import type { LocalArgyleStats } from "./stats.ts";

export interface Credentials {
  keyId: string;
  keySecret: string;
}

/** `{"detail": message}`, the shape of Argyle's non-field errors. */
export function detail(
  c: Context,
  status: ContentfulStatusCode,
  message: string,
  headers?: Record<string, string>,
): Response {
  return c.json({ detail: message }, status, headers);
}

export const NOT_FOUND = "Not found.";

/** DRF's 405 for a method a route does not have. */
export function methodNotAllowed(c: Context): Response {
  return detail(c, 405, `Method "${c.req.method}" not allowed.`);
}

/** Resolves after `ms`, or as soon as `signal` aborts (then with false). */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!signal?.aborted);
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Delays every response by the `latencyMs` knob. */
export function latency(faults: Faults): MiddlewareHandler {
  return async function latency(c, next) {
    await sleep(faults.settings.latencyMs, c.req.raw.signal);
    await next();
  };
}

const INVALID_CREDENTIALS = "Invalid username/password.";

/** HTTP Basic with the API key (username = key ID, password = key secret); 401 otherwise. */
export function basicAuth(credentials: Credentials, faults: Faults, stats: LocalArgyleStats): MiddlewareHandler {
  const expected = `${credentials.keyId}:${credentials.keySecret}`;
  return async function basicAuth(c, next) {
    const failing = faults.settings.authFailing;
    if (failing || decodeBasic(c.req.header("authorization")) !== expected) {
      if (failing) stats.recordFault("auth");
      return detail(c, 401, INVALID_CREDENTIALS, { "WWW-Authenticate": 'Basic realm="api"' });
    }
    await next();
  };
}

/** `id:secret` from a Basic Authorization header, or null. */
function decodeBasic(header: string | undefined): string | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!match?.[1]) return null;
  try {
    const binary = atob(match[1]);
    return new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)));
  } catch {
    return null;
  }
}

/** Counts every /v2 response by route pattern and status. */
export function countRequests(stats: LocalArgyleStats): MiddlewareHandler {
  return async function countRequests(c, next) {
    await next();
    stats.recordRequest(routeLabel(c.req.method, c.req.path), c.res.status);
  };
}

/** `"GET /v2/gigs/:id"` for `GET /v2/gigs/0187…`: IDs folded so stats group by route. */
export function routeLabel(method: string, path: string): string {
  const route = path.replace(/^(\/v2\/(?:gigs|webhooks))\/[^/]+\/?$/, "$1/:id").replace(/(.)\/$/, "$1");
  return `${method} ${route}`;
}
