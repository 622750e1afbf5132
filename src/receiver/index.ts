/**
 * The public receiver Worker: Argyle webhooks in, read API out. Wiring only.
 * @module
 */
import { Hono } from "hono";
import type { ReceiverEnv } from "./env.ts";
import { notFound, onError } from "./errors.ts";
import { healthRoute } from "./health-route.ts";
import { webhookRoute } from "./webhook-route.ts";

const app = new Hono<{ Bindings: ReceiverEnv }>();

app.route("/webhooks/argyle", webhookRoute);
app.route("/health", healthRoute);

app.notFound(notFound);
app.onError(onError);

export default app;
