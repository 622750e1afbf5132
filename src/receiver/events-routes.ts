/**
 * The event log: GET /api/events (filters `event`, `account`, `status`, `since`), GET
 * /api/events/{id} with the raw body, and POST /api/events/{id}/replay, which runs the stored body
 * through ingest again exactly as on arrival (e.g. after a schema fix made an `invalid` body valid),
 * its work dated by the original arrival.
 * @module
 */
import { Hono } from "hono";
import { toBase64 } from "../domain/base64.ts";
import { auditStatement } from "../domain/lifecycle/audit.ts";
import { logInfo } from "../domain/log.ts";
import { EVENT_LIST } from "../domain/ops-list-params.ts";
import { replayEvent } from "../domain/replay.ts";
import { getEventWithBody, listEvents } from "../domain/storage/events-read.ts";
import type { ReceiverBindings } from "./env.ts";
import { errorResponse } from "./errors.ts";
import { opsPage, parseOpsList, pathId } from "./list-query.ts";

export const eventsRoutes = new Hono<ReceiverBindings>();

// ignoreBOM keeps a leading BOM in the text: "raw" means every byte shows.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

eventsRoutes.get("/", async (c) => {
  const request = parseOpsList(c, EVENT_LIST);
  const page = await listEvents(c.env.DB, request);
  return c.json(opsPage(c, EVENT_LIST, request, page, (row) => row.id));
});

eventsRoutes.get("/:id", async (c) => {
  const id = pathId(c);
  const found = id === null ? null : await getEventWithBody(c.env.DB, id);
  if (!found) return errorResponse(c, 404, "not_found", "No event has this id.");
  return c.json({ ...found.summary, ...showBody(found.body) });
});

eventsRoutes.post("/:id/replay", async (c) => {
  const id = pathId(c);
  // The one replay path (console and bulk too): dated by the original's arrival, and audited
  // once the event is found, before it runs (a D1 failure answers 503, nothing replayed).
  if (id === null) return errorResponse(c, 404, "not_found", "No event has this id.");
  const audit = () => auditStatement(c.env.DB, { action: "replay", tokenRole: c.get("tokenRole"), target: id }).run();
  const result = await replayEvent({ db: c.env.DB, jobs: c.env.JOBS }, id, audit);
  if (result === null) return errorResponse(c, 404, "not_found", "No event has this id.");
  c.executionCtx.waitUntil(result.settle);
  logInfo("replay", { id: result.id, replay_of: id, status: result.status, event: result.event, jobs: result.jobs });
  return c.json({ status: result.status, id: result.id, replay_of: id }, 202);
});

/** The body as text when it is UTF-8 (webhooks are JSON), else as base64 so no byte is lost. */
function showBody(bytes: Uint8Array): { body: string } | { body_base64: string } {
  try {
    return { body: utf8.decode(bytes) };
  } catch {
    return { body_base64: toBase64(bytes) };
  }
}
