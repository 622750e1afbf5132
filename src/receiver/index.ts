/**
 * The public receiver Worker: Argyle webhooks in, read API out. Wiring only.
 * @module
 */
import { Hono } from "hono";
import { accountsRoutes } from "./accounts-routes.ts";
import { requireApiToken } from "./api-auth.ts";
import { bulkRoutes } from "./bulk-routes.ts";
import { consoleApp } from "./console/app.tsx";
import type { ReceiverEnv } from "./env.ts";
import { notFound, onError } from "./errors.ts";
import { eventsRoutes } from "./events-routes.ts";
import { failuresRoutes } from "./failures-routes.ts";
import { gigsRoutes } from "./gigs-routes.ts";
import { healthRoute } from "./health-route.ts";
import { webhookRoute } from "./webhook-route.ts";

const app = new Hono<{ Bindings: ReceiverEnv }>();

app.route("/webhooks/argyle", webhookRoute);
app.route("/health", healthRoute);
// The operator console guards itself (session cookie or Cloudflare Access), not with API_TOKEN.
app.route("/console", consoleApp);

// Registered before the routes they guard: Hono runs handlers in registration order.
app.use("/v2/*", requireApiToken("argyle"));
app.use("/api/*", requireApiToken("ops"));
app.route("/v2/gigs", gigsRoutes);
// Before the per-id routes, so "replay" and "retry" are never read as ids.
app.route("/api", bulkRoutes);
app.route("/api/events", eventsRoutes);
app.route("/api/accounts", accountsRoutes);
app.route("/api/failures", failuresRoutes);

app.notFound(notFound);
app.onError(onError);

export default app;
