/**
 * GET /health: 200 only when D1 answers AND holds the schema this code needs (its newest
 * migration is applied), so a load balancer or uptime check sees what the webhook path needs. A
 * Worker deployed before its migrations, or a fresh local database, reports 503 and why.
 * @module
 */
import { Hono } from "hono";
import { type AlertCounts, alertCounts } from "../domain/alerts/read.ts";
import { describeError } from "../domain/errors.ts";
import { logError } from "../domain/log.ts";
import { NEWEST_MIGRATION } from "../domain/schema-version.ts";
import { checkSchema, type SchemaState } from "../domain/storage/schema-check.ts";
import type { ReceiverEnv } from "./env.ts";
import { errorResponse, RETRY_AFTER_SECONDS } from "./errors.ts";

export const healthRoute = new Hono<{ Bindings: ReceiverEnv }>();

healthRoute.get("/", async (c) => {
  let state: SchemaState;
  try {
    state = await checkSchema(c.env.DB, NEWEST_MIGRATION);
  } catch (error) {
    logError("health check failed", { error: describeError(error) });
    return errorResponse(c, 503, "unavailable", "The database is unreachable.", {
      "Retry-After": String(RETRY_AFTER_SECONDS),
    });
  }
  if (!state.ready) {
    logError("health check failed", { error: state.reason });
    return c.json(
      {
        error: { code: "unhealthy", message: `The database schema is not ready: ${state.reason}.` },
        expected_migration: state.expected,
        applied_migration: state.applied,
      },
      503,
      { "Retry-After": String(RETRY_AFTER_SECONDS) },
    );
  }
  return c.json({ status: "ok", migration: state.migration, alerts: await alertSummary(c.env.DB) });
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
