/**
 * GET /health: 200 only after a D1 round trip succeeds, so a load balancer or uptime check sees
 * the same dependency the webhook path needs.
 * @module
 */
import { Hono } from "hono";
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
  return c.json({ status: "ok" });
});
