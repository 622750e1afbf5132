/**
 * A subscription registered as ".../webhooks/argyle/" must deliver like ".../webhooks/argyle":
 * Argyle documents no retries, so a 404 there loses every webhook. Every route accepts both
 * forms, and the guards apply the same to both.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { signBody } from "../../../src/domain/signature.ts";
import updated from "../../fixtures/webhooks/gigs.updated.json";
import { api } from "../api-helpers.ts";
import { callReceiver, clearTables, SECRET, WEBHOOK_URL } from "../helpers.ts";

beforeEach(clearTables);

async function signedPost(url: string, body: string, signature?: string): Promise<Response> {
  return callReceiver(
    new Request(url, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-argyle-signature": signature ?? (await signBody(SECRET, body)),
      },
    }),
  );
}

describe("trailing slash", () => {
  it("POST /webhooks/argyle/ is accepted and recorded, as without the slash", async () => {
    const body = JSON.stringify(updated);
    const res = await signedPost(`${WEBHOOK_URL}/`, body);
    expect(res.status).toBe(202);
    const { id, status } = await res.json<{ id: string; status: string }>();
    expect(status).toBe("accepted");
    const row = await env.DB.prepare("SELECT status FROM events WHERE id = ?1").bind(id).first<{ status: string }>();
    expect(row?.status).toBe("accepted");
  });

  it("POST /webhooks/argyle/ still refuses a wrong signature", async () => {
    const res = await signedPost(`${WEBHOOK_URL}/`, JSON.stringify(updated), "00");
    expect(res.status).toBe(401);
  });

  it("the read API with a trailing slash still needs the token, and answers with it", async () => {
    expect((await callReceiver(new Request("https://receiver.test/v2/gigs/"))).status).toBe(401);
    expect((await callReceiver(new Request("https://receiver.test/api/events/"))).status).toBe(401);
    expect((await api("/v2/gigs/")).status).toBe(200);
    expect((await callReceiver(new Request("https://receiver.test/health/"))).status).toBe(200);
  });
});
