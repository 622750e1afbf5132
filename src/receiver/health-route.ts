/**
 * GET /health: 200 only after a D1 round trip succeeds, so a load balancer or uptime check sees
 * the same dependency the webhook path needs.
 * @module
 */
import { Hono } from "hono";
import { type AlertCounts, alertCounts } from "../domain/alerts/read.ts";
import { describeError } from "../domain/errors.ts";
import { logError } from "../domain/log.ts";
import type { ReceiverEnv } from "./env.ts";
import { errorResponse } from "./errors.ts";

export const healthRoute = new Hono<{ Bindings: ReceiverEnv }>();

healthRoute.get("/", async (c) => {
  try {
    await c.env.DB.prepare("SELECT 1").first();
  } catch (error) {
    logError("health check failed", { error: describeError(error) });
    return errorResponse(c, 503, "unavailable", "The database is unreachable.");
  }
  return c.json({ status: "ok", alerts: await alertSummary(c.env.DB) });
});

/**
 * What the watchdog says is wrong now, by rule. Health stays 200 while alerts are open (health
 * means the service runs); if this read fails, the summary is null and health still answers.
 */
async function alertSummary(db: D1Database): Promise<AlertCounts | null> {
  try {
    return await alertCounts(db);
  } catch (error) {
    logError("health: could not read the alert summary", { error: describeError(error) });
    return null;
  }
}
