/**
 * Argyle-compatible gigs: GET /v2/gigs/{id} and GET /v2/gigs, answering exactly as Argyle's API
 * does (same objects, same list envelope, same error shapes), so a client written for Argyle reads
 * the mirror unchanged. Gig objects are the JSON text Argyle returned, spliced in verbatim.
 * @module
 */
import { Hono } from "hono";
import { GIG_LIST, type GigKey } from "../domain/gig-list-params.ts";
import { pageCursors, parseListRequest } from "../domain/list-params.ts";
import { type GigListRow, getGigJson, listGigs } from "../domain/storage/gigs-read.ts";
import type { ReceiverBindings } from "./env.ts";
import { argyleNotFound } from "./errors.ts";
import { listUrl, pathId } from "./list-query.ts";

export const gigsRoutes = new Hono<ReceiverBindings>();

const JSON_HEADERS = { "content-type": "application/json" };

gigsRoutes.get("/", async (c) => {
  const parsed = parseListRequest(GIG_LIST, c.req.query());
  if (!parsed.ok) return c.json(parsed.errors, 400);
  const request = parsed.value;
  const { rows, hasMore } = await listGigs(c.env.DB, request);
  const keyOf = (row: GigListRow | undefined): GigKey | undefined => row && [row.start_ms, row.id];
  const cursors = pageCursors(GIG_LIST, request, { first: keyOf(rows[0]), last: keyOf(rows.at(-1)) }, hasMore);
  // Built by hand so each gig's stored text goes out byte for byte; the rest is JSON.stringify.
  // Keys in Argyle's order (results, next, previous), so raw answers compare equal.
  const body =
    `{"results":[${rows.map((row) => row.data).join(",")}],` +
    `"next":${JSON.stringify(listUrl(c, cursors.next))},"previous":${JSON.stringify(listUrl(c, cursors.previous))}}`;
  return c.body(body, 200, JSON_HEADERS);
});

gigsRoutes.get("/:id", async (c) => {
  const id = pathId(c);
  const data = id === null ? null : await getGigJson(c.env.DB, id);
  if (data === null) return argyleNotFound(c);
  return c.body(data, 200, JSON_HEADERS);
});
