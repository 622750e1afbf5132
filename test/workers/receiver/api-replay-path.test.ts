/**
 * POST /api/events/{id}/replay: an unknown id answers 404 with no audit row and nothing replayed;
 * a known one is audited, then replayed.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { callReceiver, clearTables, countRows, gigsUpdatedBody, postWebhook } from "../helpers.ts";

beforeEach(clearTables);

const post = (id: string) =>
  callReceiver(
    new Request(`https://receiver.test/api/events/${id}/replay`, {
      method: "POST",
      headers: { authorization: "Bearer test-api-token" },
    }),
  );

describe("POST /api/events/{id}/replay", () => {
  it("audits, then replays as a new event of the original", async () => {
    const res0 = await postWebhook(gigsUpdatedBody(["0190000a-aaaa-bbbb-cccc-000000000000"]));
    const { id } = await res0.json<{ id: string }>();
    const res = await post(id);
    expect(res.status).toBe(202);
    const body = await res.json<{ id: string; replay_of: string }>();
    expect(body.replay_of).toBe(id);
    expect(await env.DB.prepare("SELECT replay_of FROM events WHERE id = ?1").bind(body.id).first()).toEqual({
      replay_of: id,
    });
    expect(
      await env.DB.prepare("SELECT action, target FROM audit_log")
        .all()
        .then((r) => r.results),
    ).toEqual([{ action: "replay", target: id }]);
  });

  it("answers 404 for an unknown event, with no audit row and no replay", async () => {
    const res = await post("0190c0de-0000-7000-8000-000000000001");
    expect(res.status).toBe(404);
    expect(await countRows("audit_log")).toBe(0);
    expect(await countRows("events")).toBe(0);
  });
});
