/**
 * Middleware guarding POST /webhooks/argyle, in the order they run: configuration present
 * (fail closed), source IP allow-list, body size, signature. Nothing is stored before all pass.
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ipRestriction } from "hono/ip-restriction";
import { parseMaxBodyBytes } from "../domain/body-limit.ts";
import { SIGNATURE_HEADER, verifySignature } from "../domain/signature.ts";
import type { ReceiverEnv } from "./env.ts";
import { fail } from "./errors.ts";

export type WebhookVariables = { rawBody: Uint8Array<ArrayBuffer>; secrets: string[] };
type Guard = MiddlewareHandler<{ Bindings: ReceiverEnv; Variables: WebhookVariables }>;

/** Refuses every webhook while no secret is configured: unsigned traffic is never accepted. */
export const requireSecret: Guard = async (c, next) => {
  const secrets = [c.env.ARGYLE_WEBHOOK_SECRET, c.env.ARGYLE_WEBHOOK_SECRET_PREVIOUS].filter(
    (s): s is string => typeof s === "string" && s.length > 0,
  );
  if (!c.env.ARGYLE_WEBHOOK_SECRET) {
    fail(500, "not_configured", "ARGYLE_WEBHOOK_SECRET is not set: webhooks are refused until it is.");
  }
  c.set("secrets", secrets);
  await next();
};

const allowLists = new Map<string, MiddlewareHandler>();

/** Optional defence in depth: only `ARGYLE_SOURCE_IPS` may POST (by `CF-Connecting-IP`). */
export const sourceIpAllowList: Guard = async (c, next) => {
  const raw = c.env.ARGYLE_SOURCE_IPS?.trim() ?? "";
  if (raw === "") return next();
  let guard = allowLists.get(raw);
  if (!guard) {
    const allowList = raw
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    try {
      guard = ipRestriction(
        (ctx) => ctx.req.header("cf-connecting-ip") ?? "",
        { allowList },
        () => fail(403, "forbidden", "This source address may not deliver webhooks."),
      );
    } catch {
      fail(500, "not_configured", "ARGYLE_SOURCE_IPS holds an invalid IP address or CIDR range.");
    }
    allowLists.set(raw, guard);
  }
  return guard(c, next);
};

/** 413 past `MAX_BODY_BYTES`, by Content-Length and, for streamed bodies, while reading. */
export const sizeLimit: Guard = async (c, next) => {
  const maxSize = maxBodyBytes(c.env);
  const limit = bodyLimit({
    maxSize,
    onError: () => fail(413, "payload_too_large", `Webhook bodies are limited to ${maxSize} bytes.`),
  });
  return limit(c, next);
};

/** 401 unless `X-Argyle-Signature` is the HMAC-SHA512 of the exact body under a configured secret. */
export const requireSignature: Guard = async (c, next) => {
  const header = c.req.header(SIGNATURE_HEADER);
  if (!header) fail(401, "missing_signature", `The ${SIGNATURE_HEADER} header is required.`);
  const body = new Uint8Array(await c.req.arrayBuffer());
  c.set("rawBody", body);
  if (!(await verifySignature(c.get("secrets"), body, header))) {
    fail(401, "invalid_signature", `${SIGNATURE_HEADER} does not match the body.`);
  }
  await next();
};

function maxBodyBytes(env: ReceiverEnv): number {
  const parsed = parseMaxBodyBytes(env.MAX_BODY_BYTES);
  if (!parsed.ok) fail(500, "not_configured", parsed.message);
  return parsed.value;
}
