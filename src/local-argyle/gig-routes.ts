/**
 * GET /v2/gigs and GET /v2/gigs/:id, with the fault knobs applied: Argyle's list (filters,
 * inclusive start bounds, cursor links on the request's own origin) and single-gig routes.
 * @module
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import * as v from "valibot";
import { encodeCursor } from "./cursor.ts";
import type { FaultDecision, Faults } from "./faults.ts";
import { detail, methodNotAllowed, NOT_FOUND, sleep } from "./http.ts";
import {
  NullableId,
  NullableMs,
  type ParamErrors,
  parseDatetimeParam,
  parseIdParam,
  parseListRequest,
} from "./list-params.ts";
import type { Position } from "./pagination.ts";
import type { LocalArgyleStats } from "./stats.ts";
import type { ArgyleStore, GigQuery } from "./store.ts";

export interface GigRouteDeps {
  store: ArgyleStore;
  faults: Faults;
  stats: LocalArgyleStats;
}

type GigEnv = { Variables: { fault: FaultDecision["kind"] } };

const GigQuerySchema = v.object({ account: NullableId, user: NullableId, from: NullableMs, to: NullableMs });

function parseGigQuery(params: URLSearchParams, errors: ParamErrors): GigQuery {
  return {
    account: parseIdParam(params, "account", errors),
    user: parseIdParam(params, "user", errors),
    from: parseDatetimeParam(params, "from_start_datetime", errors),
    to: parseDatetimeParam(params, "to_start_datetime", errors),
  };
}

export function gigRoutes({ store, faults, stats }: GigRouteDeps): Hono<GigEnv> {
  const routes = new Hono<GigEnv>();

  routes.get(
    "/",
    withFaults(faults, stats, () => null),
    (c) => {
      const parsed = parseListRequest("gigs", new URL(c.req.url).searchParams, GigQuerySchema, parseGigQuery);
      if ("errors" in parsed) return c.json(parsed.errors, 400);
      const { query, limit, position } = parsed.ok;
      const page = store.listGigs(query, position, limit);
      if (c.get("fault") !== "malformed") stats.recordListPage(page.items.length);
      const link = (p: Position | null) =>
        p ? `${listUrl(c)}?cursor=${encodeCursor("gigs", { query, limit, position: p })}` : null;
      // Argyle's key order.
      return c.json({ results: page.items, next: link(page.next), previous: link(page.previous) });
    },
  );

  routes.get(
    "/:id",
    async function countFetch(c, next) {
      await next();
      // A mangled body did not deliver the gig: the client has cause to fetch it again.
      stats.recordGigFetch(c.req.param("id").toLowerCase(), c.res.status === 200 && c.get("fault") !== "malformed");
    },
    withFaults(faults, stats, (c) => c.req.param("id")?.toLowerCase() ?? null),
    (c) => {
      const id = c.req.param("id").toLowerCase();
      const gig = store.gig(id);
      if (!gig) return detail(c, 404, NOT_FOUND);
      if (faults.hidesGig(id)) {
        stats.recordFault("not_found");
        return detail(c, 404, NOT_FOUND);
      }
      return c.json(gig);
    },
  );

  routes.all("/", methodNotAllowed);
  routes.all("/:id", methodNotAllowed);
  return routes;
}

/** `http://127.0.0.1:8788/v2/gigs`: links point back at whatever origin the client used. */
function listUrl(c: Context): string {
  const url = new URL(c.req.url);
  return `${url.origin}${url.pathname.replace(/\/$/, "")}`;
}

/** Draws this request's fault and acts it out; the handler runs only for none/malformed. */
function withFaults(
  faults: Faults,
  stats: LocalArgyleStats,
  gigIdOf: (c: Context<GigEnv>) => string | null,
): MiddlewareHandler<GigEnv> {
  return async function withFaults(c, next) {
    const decision = faults.decide(gigIdOf(c));
    c.set("fault", decision.kind);
    if (decision.kind !== "none") stats.recordFault(decision.kind);
    switch (decision.kind) {
      case "rate_limit": {
        const seconds = faults.settings.retryAfterSeconds;
        const wait = `Request was throttled. Expected available in ${seconds} second${seconds === 1 ? "" : "s"}.`;
        return detail(c, 429, wait, { "Retry-After": faults.retryAfter(Date.now()) });
      }
      case "server_error":
        return serverError(c, decision.status);
      case "timeout": {
        const elapsed = await sleep(faults.settings.hangMs, c.req.raw.signal);
        // Nobody is listening after an abort; 499 is what proxies log for that.
        if (!elapsed) return new Response(null, { status: 499 });
        return c.html("<html><body><h1>504 Gateway Time-out</h1>upstream request timeout</body></html>", 504);
      }
      case "malformed": {
        await next();
        if (c.res.status !== 200) return;
        const text = await c.res.text();
        // Cut mid-document: the status and headers promise JSON, the body cannot be parsed.
        const cut = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
        c.res = undefined;
        c.res = new Response(cut, { status: 200, headers: { "content-type": "application/json" } });
        return;
      }
      case "foreign_not_found":
        return foreignNotFound();
      case "none":
        await next();
    }
  };
}

/** A 404 from something in front of the API (a proxy, a wrong path): HTML, not Argyle's JSON. */
function foreignNotFound(): Response {
  return new Response("<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>", {
    status: 404,
    headers: { "content-type": "text/html; charset=UTF-8" },
  });
}

/** A 500 from the API itself is DRF's JSON; 502-504 come from the load balancer as HTML. */
function serverError(c: Context, status: number): Response {
  if (status === 500) return detail(c, 500, "A server error occurred.");
  const title = `${status} ${status === 502 ? "Bad Gateway" : status === 503 ? "Service Unavailable" : "Server Error"}`;
  return new Response(`<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`, {
    status,
    headers: { "content-type": "text/html; charset=UTF-8" },
  });
}
