/**
 * Freshness headers on every successful /v2/gigs answer, so a client can refuse stale data without
 * a second call; the body stays exactly Argyle's:
 *   X-Mirror-Synced-At: <ISO time> | never   (last complete listing: backfill or reconciliation)
 *   X-Mirror-Backfill: running | idle
 *   X-Mirror-Open-Failures: <n>
 *   X-Mirror-Scope: account | user | all     (what the three describe; see domain/lifecycle/freshness.ts)
 * The query runs alongside the read itself, so it adds no round trip to the answer's latency.
 * @module
 */
import type { MiddlewareHandler } from "hono";
import * as v from "valibot";
import { GIG_LIST } from "../domain/gig-list-params.ts";
import { type FreshnessScope, readFreshness } from "../domain/lifecycle/freshness.ts";
import { ArgyleIdParam, parseListRequest } from "../domain/list-params.ts";
import type { ReceiverBindings } from "./env.ts";

export const freshnessHeaders: MiddlewareHandler<ReceiverBindings> = async (c, next) => {
  const scope = scopeOf(c.req.path, c.req.query());
  const pending = scope ? readFreshness(c.env.DB, scope) : null;
  // Settled either way, so an answer that needs no headers leaves no unhandled rejection.
  pending?.catch(() => undefined);
  await next();
  if (!pending || c.res.status !== 200) return;
  const f = await pending;
  c.res.headers.set("X-Mirror-Synced-At", f.syncedAt ?? "never");
  c.res.headers.set("X-Mirror-Backfill", f.backfill);
  c.res.headers.set("X-Mirror-Open-Failures", String(f.openFailures));
  c.res.headers.set("X-Mirror-Scope", f.scope);
};

function scopeOf(path: string, query: Record<string, string>): FreshnessScope | null {
  const id = /^\/v2\/gigs\/([^/]+)$/.exec(path)?.[1];
  if (id !== undefined) return v.is(ArgyleIdParam, id) ? { gig: id } : null;
  // The filters may sit in the query or inside the cursor of a `next` link: parse as the list does.
  const parsed = parseListRequest(GIG_LIST, query);
  if (!parsed.ok) return null;
  const { account, user } = parsed.value.filters;
  if (account !== undefined) return { account };
  if (user !== undefined) return { user };
  return { all: true };
}
