/**
 * POST /webhooks/argyle: guards, then ingest, then 202. One log line per delivery.
 * @module
 */
import { Hono } from "hono";
import { ingestWebhook } from "../domain/ingest.ts";
import { logInfo, logWarn } from "../domain/log.ts";
import type { ReceiverEnv } from "./env.ts";
import { errorResponse } from "./errors.ts";
import { noteSignatureFailure } from "./signature-failures.ts";
import {
  requireSecret,
  requireSignature,
  sizeLimit,
  sourceIpAllowList,
  type WebhookVariables,
} from "./webhook-guards.ts";

type Delivery = {
  id?: string;
  event?: string | null;
  account?: string | null;
  status?: string;
  duplicate_of?: string | null;
};

export const webhookRoute = new Hono<{ Bindings: ReceiverEnv; Variables: WebhookVariables & { delivery: Delivery } }>();

webhookRoute.post(
  "/",
  async function logDelivery(c, next) {
    const started = performance.now();
    c.set("delivery", {});
    try {
      await next();
    } finally {
      noteSignatureFailure(c.res.status, c.env.DB, c.executionCtx);
      const d = c.get("delivery");
      // A signed delivery we could not use needs a person (fix, then replay): make it stand out.
      const log = d.status === "invalid" ? logWarn : logInfo;
      log("webhook", {
        http_status: c.res.status,
        status: d.status ?? "rejected",
        event: d.event,
        account: d.account,
        id: d.id,
        duplicate_of: d.duplicate_of,
        bytes: c.get("rawBody")?.byteLength ?? Number(c.req.header("content-length") ?? 0),
        ms: Math.round(performance.now() - started),
      });
    }
  },
  requireSecret,
  sourceIpAllowList,
  sizeLimit,
  requireSignature,
  async (c) => {
    const result = await ingestWebhook({ db: c.env.DB, jobs: c.env.JOBS }, c.get("rawBody"));
    c.executionCtx.waitUntil(result.settle);
    c.set("delivery", {
      id: result.id,
      event: result.event,
      account: result.account,
      status: result.status,
      duplicate_of: result.duplicateOf,
    });
    return c.json(
      { status: result.status, id: result.id, ...(result.duplicateOf ? { duplicate_of: result.duplicateOf } : {}) },
      202,
    );
  },
);

webhookRoute.all("/", (c) =>
  errorResponse(c, 405, "method_not_allowed", "Use POST to deliver webhooks.", { Allow: "POST" }),
);
