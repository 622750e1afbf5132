/**
 * GET /api/alerts (filters `status`, `rule`, `account`; newest first) and POST
 * /api/alerts/{id}/ack. Guarded by the /api token (see index.ts).
 * @module
 */
import { Hono } from "hono";
import { ALERT_LIST, acknowledgeAlert, listAlerts } from "../domain/alerts/read.ts";
import { auditStatement } from "../domain/lifecycle/audit.ts";
import type { ReceiverBindings } from "./env.ts";
import { errorResponse } from "./errors.ts";
import { opsPage, parseOpsList, pathId } from "./list-query.ts";

export const alertsRoutes = new Hono<ReceiverBindings>();

alertsRoutes.get("/", async (c) => {
  const request = parseOpsList(c, ALERT_LIST);
  const page = await listAlerts(c.env.DB, request);
  return c.json(opsPage(c, ALERT_LIST, request, page, (row) => row.id));
});

alertsRoutes.post("/:id/ack", async (c) => {
  const id = pathId(c);
  if (id === null) return errorResponse(c, 404, "not_found", "No alert has this id.");
  // Audited before it acts, like every mutating /api call (a D1 failure answers 503).
  await auditStatement(c.env.DB, { action: "acknowledge", tokenRole: c.get("tokenRole"), target: id }).run();
  const result = await acknowledgeAlert(c.env.DB, id);
  switch (result.outcome) {
    case "not_found":
      return errorResponse(c, 404, "not_found", "No alert has this id.");
    case "not_open":
      return errorResponse(c, 409, "not_open", `Only an open alert can be acknowledged; this one is ${result.status}.`);
    case "acknowledged":
      return c.json(result.alert);
  }
});
