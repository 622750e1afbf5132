/**
 * Shard administration over the API: starting and watching an account move, listing shards,
 * opening and closing them. Bad requests answer a clear 4xx and change nothing; every change is
 * audited with the token's role.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Job } from "../../../src/domain/jobs.ts";
import { bearer, ORIGIN } from "../api-helpers.ts";
import { callReceiver, clearTables } from "../helpers.ts";
import { MOVE_ACCOUNT, OTHER_ACCOUNT, seedAccount } from "../move-helpers.ts";

let queued: Job[] = [];
beforeEach(async () => {
  await clearTables();
  queued = [];
  vi.spyOn(env.JOBS, "sendBatch").mockImplementation(async (messages) => {
    queued.push(...[...messages].map((m) => m.body));
    return undefined as unknown as QueueSendBatchResponse;
  });
});
afterEach(() => vi.restoreAllMocks());

async function call(method: string, path: string, body?: string) {
  const res = await callReceiver(
    new Request(`${ORIGIN}${path}`, { method, headers: { ...bearer(), "content-type": "application/json" }, body }),
  );
  return { status: res.status, body: await res.json<Record<string, unknown>>() };
}

async function auditActions(): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT action, token_role FROM audit_log ORDER BY id").all<{
    action: string;
    token_role: string;
  }>();
  return results.map((r) => `${r.action}:${r.token_role}`);
}

describe("POST /api/accounts/{id}/move", () => {
  it("starts the move (202), queues its job once, and reports it", async () => {
    await seedAccount(MOVE_ACCOUNT, "SHARD_1", 5);
    const first = await call("POST", `/api/accounts/${MOVE_ACCOUNT}/move`, '{"to":"SHARD_2"}');
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      account: MOVE_ACCOUNT,
      shard: "SHARD_1",
      state: "copying",
      from: "SHARD_1",
      to: "SHARD_2",
      copied: 0,
    });
    expect(queued).toEqual([
      expect.objectContaining({
        kind: "move_account",
        account: MOVE_ACCOUNT,
        to: "SHARD_2",
        move_id: first.body.move_id,
      }),
    ]);
    expect(await auditActions()).toEqual(["move_account:legacy"]);

    // Asking again is idempotent: the same move, no second job, no second audit row.
    const again = await call("POST", `/api/accounts/${MOVE_ACCOUNT}/move`, '{"to":"SHARD_2"}');
    expect(again.status).toBe(202);
    expect(again.body.move_id).toBe(first.body.move_id);
    expect(queued).toHaveLength(1);

    const shown = await call("GET", `/api/accounts/${MOVE_ACCOUNT}/move`);
    expect(shown).toEqual({ status: 200, body: first.body });

    expect(await call("POST", `/api/accounts/${MOVE_ACCOUNT}/move`, '{"to":"SHARD_3"}')).toMatchObject({
      status: 409,
      body: { error: { code: "move_running" } },
    });
  });

  it("refuses bad requests with a clear error and changes nothing", async () => {
    await seedAccount(MOVE_ACCOUNT, "SHARD_1", 5);
    const path = `/api/accounts/${MOVE_ACCOUNT}/move`;
    const cases: [string, string, number, string][] = [
      [path, "not json", 400, "invalid_body"],
      [path, '{"to":"DB"}', 400, "invalid_body"],
      [path, '{"to":"SHARD_2","extra":1}', 400, "invalid_body"],
      [path, '{"to":"SHARD_9"}', 422, "unknown_shard"],
      [path, '{"to":"SHARD_1"}', 409, "already_home"],
      [`/api/accounts/${OTHER_ACCOUNT}/move`, '{"to":"SHARD_2"}', 404, "not_found"],
      ["/api/accounts/not-an-id/move", '{"to":"SHARD_2"}', 404, "not_found"],
    ];
    for (const [p, body, status, code] of cases) {
      const res = await call("POST", p, body);
      expect({ body, status: res.status, code: (res.body.error as { code: string }).code }).toEqual({
        body,
        status,
        code,
      });
    }
    expect(queued).toEqual([]);
    expect(await auditActions()).toEqual([]);
    expect((await call("GET", path)).body).toMatchObject({ state: null, shard: "SHARD_1" });
    expect((await call("GET", `/api/accounts/${OTHER_ACCOUNT}/move`)).status).toBe(404);
  });
});

describe("/api/shards", () => {
  it("lists every bound shard with its status, size and accounts", async () => {
    await seedAccount(MOVE_ACCOUNT, "SHARD_1", 1);
    await seedAccount(OTHER_ACCOUNT, "SHARD_3", 1, "0192");
    const { status, body } = await call("GET", "/api/shards");
    expect(status).toBe(200);
    expect(body.data).toEqual([
      { name: "SHARD_1", status: "open", size_bytes: 0, measured_at: null, accounts: 1, placed: 1 },
      { name: "SHARD_2", status: "open", size_bytes: 0, measured_at: null, accounts: 0, placed: 0 },
      { name: "SHARD_3", status: "open", size_bytes: 0, measured_at: null, accounts: 1, placed: 1 },
    ]);
  });

  it("closes and opens a shard, audited; a closed shard takes no move; the last open shard stays open", async () => {
    await seedAccount(MOVE_ACCOUNT, "SHARD_1", 1);
    const closed = await call("POST", "/api/shards/SHARD_2", '{"status":"closed"}');
    expect(closed).toMatchObject({ status: 200, body: { name: "SHARD_2", status: "closed" } });
    expect(await call("POST", `/api/accounts/${MOVE_ACCOUNT}/move`, '{"to":"SHARD_2"}')).toMatchObject({
      status: 409,
      body: { error: { code: "shard_closed" } },
    });
    expect(await call("POST", "/api/shards/SHARD_3", '{"status":"closed"}')).toMatchObject({ status: 200 });
    expect(await call("POST", "/api/shards/SHARD_1", '{"status":"closed"}')).toMatchObject({
      status: 409,
      body: { error: { code: "last_open_shard" } },
    });
    expect(await call("POST", "/api/shards/SHARD_2", '{"status":"open"}')).toMatchObject({
      status: 200,
      body: { status: "open" },
    });
    const listed = (await call("GET", "/api/shards")).body.data as { name: string; status: string }[];
    expect(listed.map((s) => `${s.name}:${s.status}`)).toEqual(["SHARD_1:open", "SHARD_2:open", "SHARD_3:closed"]);
    expect(await auditActions()).toEqual(["shard_status:legacy", "shard_status:legacy", "shard_status:legacy"]);

    for (const [path, body, status, code] of [
      ["/api/shards/SHARD_9", '{"status":"closed"}', 404, "unknown_shard"],
      ["/api/shards/DB", '{"status":"open"}', 409, "catalog_shard"],
      ["/api/shards/SHARD_1", '{"status":"full"}', 400, "invalid_body"],
      ["/api/shards/SHARD_1", "", 400, "invalid_body"],
    ] as const) {
      const res = await call("POST", path, body);
      expect({ path, status: res.status, code: (res.body.error as { code: string }).code }).toEqual({
        path,
        status,
        code,
      });
    }
    expect(await auditActions()).toHaveLength(3);
  });
});
