/**
 * Every statement every receiver route runs reads through an index: captured from real requests
 * (so a query added later is covered without being listed here), then planned with EXPLAIN QUERY
 * PLAN. api-query-plans.test.ts holds the list queries to their specific indexes.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import updated from "../../fixtures/webhooks/gigs.updated.json";
import { ACCOUNT, api, insertAccount, insertFailure, insertGigs, makeGig } from "../api-helpers.ts";
import { clearTables, gigIds, postWebhook } from "../helpers.ts";
import { captureStatements, fullTableScans, plannable, planOf } from "../statement-plans.ts";

const FAILURE = "0190c0de-0000-7000-8000-000000000001";
let eventId: string;

beforeEach(async () => {
  await clearTables();
  await insertGigs(gigIds(3).map((id, i) => makeGig(id, `2023-03-0${i + 1}T00:00:00Z`)));
  await insertAccount({ id: ACCOUNT });
  await insertFailure({ id: FAILURE });
  vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue({} as QueueSendBatchResponse);
  eventId = (await (await postWebhook(JSON.stringify(updated))).json<{ id: string }>()).id;
});
afterEach(() => vi.restoreAllMocks());

const requests: [string, () => Promise<Response>][] = [
  ["POST /webhooks/argyle", () => postWebhook(JSON.stringify(updated))],
  ["GET /health", () => api("/health")],
  ["GET /v2/gigs", () => api(`/v2/gigs?account=${ACCOUNT}&limit=2`)],
  ["GET /v2/gigs/{id}", () => api(`/v2/gigs/${gigIds(1)[0]}`)],
  ["GET /api/events", () => api("/api/events?status=accepted")],
  ["GET /api/events/{id}", () => api(`/api/events/${eventId}`)],
  ["POST /api/events/{id}/replay", () => api(`/api/events/${eventId}/replay`, { method: "POST" })],
  ["GET /api/accounts", () => api("/api/accounts")],
  ["GET /api/accounts/{id}", () => api(`/api/accounts/${ACCOUNT}`)],
  ["GET /api/failures", () => api("/api/failures?status=open")],
  ["POST /api/failures/{id}/retry", () => api(`/api/failures/${FAILURE}/retry`, { method: "POST" })],
];

describe("every statement a route runs reads through an index", () => {
  it("(the check itself sees a full scan when there is one)", async () => {
    const plan = await planOf({ sql: "SELECT id FROM events WHERE received_at = ?1", params: ["x"] });
    expect(fullTableScans(plan)).toEqual(["SCAN events"]);
  });

  it.each(requests)("%s", async (_label, send) => {
    let status = 0;
    const statements = plannable(
      await captureStatements(async () => {
        status = (await send()).status;
      }),
    );
    expect(status).toBeLessThan(300);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      const plan = await planOf(statement);
      expect({ sql: statement.sql, scans: fullTableScans(plan) }).toEqual({ sql: statement.sql, scans: [] });
    }
  });
});
