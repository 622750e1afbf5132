/**
 * Helpers for workerd tests: signed requests to the receiver, and D1 inspection.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { signBody } from "../../src/domain/signature.ts";
import type { ReceiverEnv } from "../../src/receiver/env.ts";
import app from "../../src/receiver/index.ts";

export const SECRET = "test-webhook-secret";
export const WEBHOOK_URL = "https://receiver.test/webhooks/argyle";

const encoder = new TextEncoder();

export interface PostOptions {
  secret?: string;
  /** Replaces the computed signature header; null omits it. */
  signature?: string | null;
  headers?: Record<string, string>;
  env?: Partial<ReceiverEnv>;
}

/** POSTs `body` to the receiver, signed like Argyle would sign it, and waits for its background work. */
export async function postWebhook(
  body: string | Uint8Array<ArrayBuffer>,
  options: PostOptions = {},
): Promise<Response> {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const signature =
    options.signature === undefined ? await signBody(options.secret ?? SECRET, bytes) : options.signature;
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (signature !== null) headers["x-argyle-signature"] = signature;
  return callReceiver(new Request(WEBHOOK_URL, { method: "POST", body: bytes, headers }), options.env);
}

/** Sends any request to the receiver app with the test env (optionally overridden). */
export async function callReceiver(request: Request, overrides: Partial<ReceiverEnv> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(request, { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

export async function countRows(table: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>();
  return row?.n ?? 0;
}

export async function clearTables(): Promise<void> {
  await env.DB.batch(
    [
      "events",
      "event_bodies",
      "gigs",
      "accounts",
      "failures",
      "job_attempts",
      "purged_accounts",
      "audit_log",
      "alerts",
      "alert_notifications",
      "signature_failures",
      "cron_state",
      "directory",
      "shards",
      "account_fences",
    ].map((t) => env.DB.prepare(`DELETE FROM ${t}`)),
  );
  // The receiver project's gig shards (absent in the consumer project until its bindings land).
  for (const name of ["SHARD_1", "SHARD_2", "SHARD_3"]) {
    const shard = (env as unknown as Record<string, D1Database | undefined>)[name];
    if (!shard) continue;
    await shard.batch(
      ["gigs", "accounts", "purged_accounts", "account_fences"].map((t) => shard.prepare(`DELETE FROM ${t}`)),
    );
  }
}

/** A gigs.updated body naming `ids`. */
export function gigsUpdatedBody(ids: string[], account = "0187c66e-e7e5-811c-b006-2232f00f426a"): string {
  return JSON.stringify({
    event: "gigs.updated",
    name: "test-subscription",
    data: {
      account,
      user: "018051aa-f7a9-a0db-2f38-6cfa325e9d69",
      available_from: "2016-04-16T05:32:41Z",
      available_to: "2023-03-03T00:00:00Z",
      available_count: ids.length,
      updated_count: ids.length,
      updated_gigs: ids,
      updated_from: "2023-03-02T00:00:00Z",
      updated_to: "2023-03-03T00:00:00Z",
    },
  });
}

/** `n` distinct, deterministic Argyle-shaped IDs. */
export function gigIds(n: number, prefix = "0190"): string[] {
  return Array.from(
    { length: n },
    (_, i) => `${prefix}${i.toString(16).padStart(4, "0")}-aaaa-bbbb-cccc-${i.toString(16).padStart(12, "0")}`,
  );
}
