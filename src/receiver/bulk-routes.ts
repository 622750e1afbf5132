/**
 * Bulk actions, usable with or without the console: POST /api/events/replay (invalid events
 * matching a filter) and POST /api/failures/retry (open failures matching a filter). Each call
 * does at most `limit` items and answers `{"results", "next", "stopped"}`; send `next` back as
 * `cursor` until it is null.
 * @module
 */
import { Hono } from "hono";
import * as v from "valibot";
import { replayInvalidEvents, retryOpenFailures } from "../domain/bulk-actions.ts";
import { describeIssues, ReplayRequest, RetryRequest } from "../domain/bulk-params.ts";
import { auditStatement } from "../domain/lifecycle/audit.ts";
import type { ReceiverBindings } from "./env.ts";
import { fail } from "./errors.ts";

export const bulkRoutes = new Hono<ReceiverBindings>();

bulkRoutes.post("/events/replay", async (c) => {
  const request = await parseBody(c.req.raw, ReplayRequest);
  await audit(c.env.DB, "replay", c.get("tokenRole"), request.filter);
  const report = await replayInvalidEvents(
    { db: c.env.DB, jobs: c.env.JOBS },
    request.filter,
    request.cursor,
    request.limit,
  );
  c.executionCtx.waitUntil(report.settle);
  const { settle: _settle, ...body } = report;
  return c.json(body);
});

bulkRoutes.post("/failures/retry", async (c) => {
  const request = await parseBody(c.req.raw, RetryRequest);
  await audit(c.env.DB, "redrive", c.get("tokenRole"), request.filter);
  return c.json(
    await retryOpenFailures({ db: c.env.DB, jobs: c.env.JOBS }, request.filter, request.cursor, request.limit),
  );
});

/** The JSON body validated by `schema` (an empty body means all defaults); 400 otherwise. */
async function parseBody<S extends v.GenericSchema>(request: Request, schema: S): Promise<v.InferOutput<S>> {
  const text = await request.text();
  let json: unknown = {};
  if (text.trim() !== "") {
    try {
      json = JSON.parse(text);
    } catch {
      fail(400, "invalid_body", 'The body must be JSON: {"filter": {...}, "limit": n, "cursor": id}.');
    }
  }
  const parsed = v.safeParse(schema, json);
  if (!parsed.success) fail(400, "invalid_body", describeIssues(parsed.issues));
  return parsed.output;
}

/** Audited before it acts, like every mutating /api call: no bulk action without its row (D1 down → 503). */
function audit(db: D1Database, action: "replay" | "redrive", tokenRole: string, filter: object): Promise<unknown> {
  const detail = {
    bulk: true,
    ...Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, v == null ? null : String(v)])),
  };
  return auditStatement(db, { action, tokenRole, target: "bulk", detail }).run();
}
