/**
 * GET /health: 200 only when every database answers AND holds the schema this code needs (the
 * catalog DB its newest migration, each gig shard SHARD_n the newest shard migration), so a load
 * balancer or uptime check sees what the webhook path and the reads need. A Worker deployed before
 * its migrations, a shard added to the config but never migrated, or a fresh local database,
 * reports 503 and names the database(s) and why.
 * @module
 */
import { Hono } from "hono";
import { type AlertCounts, alertCounts } from "../domain/alerts/read.ts";
import { describeError } from "../domain/errors.ts";
import { logError } from "../domain/log.ts";
import { NEWEST_MIGRATION } from "../domain/schema-version.ts";
import { appliedByDatabase, databaseHealth } from "./database-health.ts";
import type { ReceiverEnv } from "./env.ts";
import { RETRY_AFTER_SECONDS } from "./errors.ts";

export const healthRoute = new Hono<{ Bindings: ReceiverEnv }>();

healthRoute.get("/", async (c) => {
  const retryAfter = { "Retry-After": String(RETRY_AFTER_SECONDS) };
  const health = await databaseHealth(c.env);
  const unreachable = health.flatMap((h) => (h.reachable ? [] : [h]));
  if (unreachable.length > 0) {
    for (const h of unreachable) logError("health check failed", { database: h.name, error: h.error });
    const names = unreachable.map((h) => h.name);
    return c.json(
      {
        error: {
          code: "unavailable",
          message: `${names.length === 1 ? "Database" : "Databases"} ${names.join(", ")} ${names.length === 1 ? "is" : "are"} unreachable.`,
        },
        unreachable: names,
      },
      503,
      retryAfter,
    );
  }
  const databases = appliedByDatabase(health);
  const behind = health.flatMap((h) =>
    h.reachable && !h.state.ready ? [{ name: h.name, reason: h.state.reason, expected: h.state.expected }] : [],
  );
  if (behind.length > 0) {
    const reasons = behind.map((b) => `${b.name}: ${b.reason}`).join("; ");
    logError("health check failed", { error: reasons });
    return c.json(
      {
        error: { code: "unhealthy", message: `The database schema is not ready: ${reasons}.` },
        behind: behind.map((b) => b.name),
        expected: Object.fromEntries(behind.map((b) => [b.name, b.expected])),
        databases,
      },
      503,
      retryAfter,
    );
  }
  return c.json({ status: "ok", migration: NEWEST_MIGRATION, databases, alerts: await alertSummary(c.env.DB) });
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
