/**
 * The receiver's routes that must demand API_TOKEN, taken from Hono's own route table so that a
 * route added later is checked without anyone remembering to list it. Shared by the workerd
 * auth test and the Node security test (which probes the running receiver over HTTP); plain
 * TypeScript, so it loads in both.
 */

/** The only routes open without the API token: Argyle's deliveries (signed instead) and health. */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set([
  "POST /webhooks/argyle",
  "ALL /webhooks/argyle",
  "GET /health",
]);

/** Every read-API route: the table must at least hold these (a guard on the enumeration itself). */
export const READ_API_ROUTES = [
  "ALL /v2/*",
  "ALL /api/*",
  "GET /v2/gigs",
  "GET /v2/gigs/:id",
  "GET /api/events",
  "GET /api/events/:id",
  "POST /api/events/:id/replay",
  "GET /api/accounts",
  "GET /api/accounts/:id",
  "GET /api/failures",
  "POST /api/failures/:id/retry",
  "GET /api/alerts",
  "POST /api/alerts/:id/ack",
  "DELETE /api/accounts/:id",
  "DELETE /api/users/:id",
  "POST /api/events/replay",
  "POST /api/failures/retry",
  "POST /api/accounts/:id/move",
  "GET /api/accounts/:id/move",
  "GET /api/shards",
  "POST /api/shards/:name",
];

export const SAMPLE_ID = "0190c0de-0000-7000-8000-00000000abcd";

export interface GuardedRoute {
  /** `METHOD /path` as in the route table. */
  label: string;
  method: string;
  /** A concrete path: parameters filled in, middleware wildcards (`/v2/*`) under a path no route claims. */
  path: string;
}

/**
 * The console guards itself (session cookie or Cloudflare Access, CSRF on every POST): its routes
 * are checked by test/workers/receiver/console-auth.test.ts, not with the API token.
 */
export const CONSOLE_PREFIX = "/console";

/** Every route in `routes` but the public ones and the console's, once each, ready to request. */
export function guardedRoutes(routes: readonly { method: string; path: string }[]): GuardedRoute[] {
  const byLabel = new Map<string, GuardedRoute>();
  for (const r of routes) {
    const label = `${r.method} ${r.path}`;
    if (PUBLIC_ROUTES.has(label) || r.path === CONSOLE_PREFIX || r.path.startsWith(`${CONSOLE_PREFIX}/`)) continue;
    const method = r.method === "ALL" ? "GET" : r.method;
    const path = r.path.replace(/:[A-Za-z_]+/g, SAMPLE_ID).replace(/\*$/, "not-a-route");
    byLabel.set(label, { label, method, path });
  }
  return [...byLabel.values()];
}
