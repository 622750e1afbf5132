/**
 * Argyle-compatible gigs: GET /v2/gigs/{id} and GET /v2/gigs, answering exactly as Argyle's API
 * does (same objects, same list envelope, same error shapes), so a client written for Argyle reads
 * the mirror unchanged. Gig objects are the JSON text Argyle returned, spliced in verbatim.
 * Gigs live in shards: the domain picks the shards in scope and merges their pages.
 * @module
 */
import { Hono } from "hono";
import { GIG_LIST, type GigKey } from "../domain/gig-list-params.ts";
import { type FreshnessScope, readFreshness } from "../domain/lifecycle/freshness.ts";
import { pageCursors, parseListRequest } from "../domain/list-params.ts";
import { gigByIdAcross } from "../domain/shards/gig-by-id.ts";
import { gigReadScope } from "../domain/shards/read-scope.ts";
import type { GigListRow } from "../domain/storage/gigs-read.ts";
import { listGigsAcross } from "../domain/storage/gigs-read-shards.ts";
import type { ReceiverBindings } from "./env.ts";
import { argyleNotFound } from "./errors.ts";
import { setFreshnessHeaders } from "./freshness-headers.ts";
import { listUrl, pathId } from "./list-query.ts";

export const gigsRoutes = new Hono<ReceiverBindings>();

const JSON_HEADERS = { "content-type": "application/json" };

gigsRoutes.get("/", async (c) => {
  const parsed = parseListRequest(GIG_LIST, c.req.query());
  if (!parsed.ok) return c.json(parsed.errors, 400);
  const request = parsed.value;
  const scope = await gigReadScope(c.env, c.env.DB, request.filters);
  const freshnessScope: FreshnessScope =
    scope.kind === "account"
      ? { account: scope.account, target: scope.targets[0] ?? null }
      : scope.kind === "user"
        ? { user: scope.user, targets: scope.targets }
        : { all: true, targets: scope.targets };
  const [{ rows, hasMore }, freshness] = await Promise.all([
    listGigsAcross(scope.targets, request),
    readFreshness(c.env.DB, freshnessScope),
  ]);
  const keyOf = (row: GigListRow | undefined): GigKey | undefined => row && [row.start_ms, row.id];
  const cursors = pageCursors(GIG_LIST, request, { first: keyOf(rows[0]), last: keyOf(rows.at(-1)) }, hasMore);
  // Built by hand so each gig's stored text goes out byte for byte; the rest is JSON.stringify.
  // Keys in Argyle's order (results, next, previous), so raw answers compare equal.
  const body =
    `{"results":[${rows.map((row) => row.data).join(",")}],` +
    `"next":${JSON.stringify(listUrl(c, cursors.next))},"previous":${JSON.stringify(listUrl(c, cursors.previous))}}`;
  setFreshnessHeaders(c, freshness);
  return c.body(body, 200, JSON_HEADERS);
});

gigsRoutes.get("/:id", async (c) => {
  const id = pathId(c);
  const found = id === null ? null : await gigByIdAcross(c.env, c.env.DB, id);
  if (found === null) return argyleNotFound(c);
  setFreshnessHeaders(c, found.freshness);
  return c.body(found.data, 200, JSON_HEADERS);
});
