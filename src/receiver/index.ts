/**
 * The public receiver Worker: Argyle webhooks in, read API out. Wiring only.
 * @module
 */
import { Hono } from "hono";
import { accountsRoutes } from "./accounts-routes.ts";
import { alertsRoutes } from "./alerts-routes.ts";
import { requireApiToken } from "./api-auth.ts";
import { bulkRoutes } from "./bulk-routes.ts";
import { consoleApp } from "./console/app.tsx";
import { deletionRoutes } from "./deletion-routes.ts";
import type { ReceiverEnv } from "./env.ts";
import { notFound, onError } from "./errors.ts";
import { eventsRoutes } from "./events-routes.ts";
import { failuresRoutes } from "./failures-routes.ts";
import { gigsRoutes } from "./gigs-routes.ts";
import { healthRoute } from "./health-route.ts";
import { shardsRoutes } from "./shards-routes.ts";
import { webhookRoute } from "./webhook-route.ts";

// Not strict: "/webhooks/argyle/" is the same route as "/webhooks/argyle" (and so for every
// route), because a subscription registered with a trailing slash must not lose webhooks to a 404.
// Routed, not redirected: a redirected POST loses its body with many clients.
const app = new Hono<{ Bindings: ReceiverEnv }>({ strict: false });

app.route("/webhooks/argyle", webhookRoute);
app.route("/health", healthRoute);
// The operator console guards itself (session cookie or Cloudflare Access), not with API_TOKEN.
app.route("/console", consoleApp);

// Registered before the routes they guard: Hono runs handlers in registration order.
app.use("/v2/*", requireApiToken("argyle", "read"));
app.use("/api/*", requireApiToken("ops", "admin"));
app.route("/v2/gigs", gigsRoutes);
// Before the per-id routes, so "replay" and "retry" are never read as ids.
app.route("/api", bulkRoutes);
app.route("/api", shardsRoutes);
app.route("/api/events", eventsRoutes);
app.route("/api/accounts", accountsRoutes);
app.route("/api/failures", failuresRoutes);
app.route("/api/alerts", alertsRoutes);
app.route("/api", deletionRoutes);

app.notFound(notFound);
app.onError(onError);

export default app;
