/**
 * Where the receiver's CPU goes: runs one piece of its work `n` times in a loop, without I/O,
 * so the benchmark can time it from outside (workerd's clocks stand still while code runs, so
 * the CPU is read from /proc around the request). POST /__bench/probe?piece=<piece>&n=<n> with
 * a signed webhook as the body and its signature header.
 * - app: the whole receiver (Hono, guards, ingest, its log line, JSON answer) with D1 and the
 *   queue replaced by stubs that answer at once;
 * - verify, sha256, parse, plan: the HMAC check, the body hash, JSON parse + valibot
 *   validation, and job planning + batching, alone.
 * @module
 */

import { planJobs, toSendBatches } from "../../../../src/domain/jobs.ts";
import { SIGNATURE_HEADER, sha256Hex, verifySignature } from "../../../../src/domain/signature.ts";
import { parseWebhook } from "../../../../src/domain/webhook-schema.ts";
import app from "../../../../src/receiver/index.ts";

interface Env {
  ARGYLE_WEBHOOK_SECRET: string;
}

const statement = {
  bind: () => statement,
  run: async () => ({ success: true, meta: {}, results: [] }),
  all: async () => ({ success: true, meta: {}, results: [] }),
  first: async () => null,
};
const stubDb = {
  prepare: () => statement,
  batch: async (statements: unknown[]) =>
    statements.map(() => ({ success: true, meta: {}, results: [{ duplicate_of: null }] })),
};
const stubQueue = { send: async () => {}, sendBatch: async () => {} };
const stubCtx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} };

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const piece = url.searchParams.get("piece") ?? "app";
    const n = Number(url.searchParams.get("n") ?? "1");
    const body = new Uint8Array(await request.arrayBuffer());
    const signature = request.headers.get(SIGNATURE_HEADER) ?? "";
    const secrets = [env.ARGYLE_WEBHOOK_SECRET];
    const stubEnv = { ...env, DB: stubDb, JOBS: stubQueue };
    const parsed = parseWebhook(body);
    if (parsed.kind !== "gig") return new Response("the body is not a gig webhook", { status: 400 });
    for (let i = 0; i < n; i++) {
      switch (piece) {
        case "app": {
          const response = await app.fetch(
            new Request("http://probe/webhooks/argyle", {
              method: "POST",
              body,
              headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signature },
            }),
            stubEnv as never,
            stubCtx as never,
          );
          if (response.status !== 202) throw new Error(`the receiver answered ${response.status}`);
          await response.arrayBuffer();
          break;
        }
        case "verify":
          if (!(await verifySignature(secrets, body, signature))) throw new Error("signature mismatch");
          break;
        case "sha256":
          await sha256Hex(body);
          break;
        case "parse":
          if (parseWebhook(body).kind !== "gig") throw new Error("the body did not validate");
          break;
        case "plan":
          toSendBatches(planJobs(parsed.envelope, { eventId: "probe", receivedAt: new Date().toISOString() }));
          break;
        default:
          return new Response(`unknown piece ${piece}`, { status: 400 });
      }
    }
    return new Response(null, { status: 204 });
  },
};
