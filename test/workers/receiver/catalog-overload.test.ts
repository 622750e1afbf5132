/**
 * The catalog answering with D1's transient errors (overloaded, reset, connection lost, timeout):
 * the webhook route and the API answer 503 with Retry-After, so the sender retries, and nothing
 * is recorded. The texts are D1's own, with its prefix and re-wrapped without it.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { isD1Transient } from "../../../src/domain/d1-faults.ts";
import updated from "../../fixtures/webhooks/gigs.updated.json";
import { api } from "../api-helpers.ts";
import { clearTables, countRows, postWebhook } from "../helpers.ts";

const ANSWERS = [
  "D1_ERROR: D1 DB is overloaded. Too many requests queued.",
  "D1_ERROR: Internal error in D1 DB storage caused object to be reset.",
  "D1_ERROR: D1 DB reset because its code was updated.",
  "D1_ERROR: Network connection lost.",
  "D1_ERROR: D1 DB storage operation exceeded timeout which caused object to be reset.",
  // The same answers as a wrapper re-throws them (no prefix): still the database's fault.
  "D1 DB is overloaded. Requests queued for too long.",
  "Network connection lost.",
];

beforeEach(async () => {
  await clearTables();
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

describe("the catalog overloaded or reset", () => {
  it("classifies every answer as transient, also wrapped as a cause, and an SQL error as not", () => {
    for (const answer of ANSWERS) {
      expect(isD1Transient(new Error(answer))).toBe(true);
      expect(isD1Transient(new Error("D1_ERROR: batch failed", { cause: new Error(answer) }))).toBe(true);
    }
    expect(isD1Transient(new Error("D1_ERROR: no such table: gigs: SQLITE_ERROR"))).toBe(false);
  });

  it.each(ANSWERS)("a webhook gets 503 with Retry-After and nothing is recorded: %s", async (answer) => {
    const send = vi.spyOn(env.JOBS, "sendBatch");
    vi.spyOn(env.DB, "batch").mockRejectedValue(new Error(answer));
    const res = await postWebhook(JSON.stringify(updated));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("unavailable");
    expect(send).not.toHaveBeenCalled();
    vi.mocked(env.DB.batch).mockRestore();
    expect(await countRows("events")).toBe(0);
  });

  it.each(ANSWERS)("the API answers 503 with Retry-After: %s", async (answer) => {
    vi.spyOn(env.DB, "prepare").mockImplementation(() => {
      throw new Error(answer);
    });
    for (const path of ["/v2/gigs", "/api/events", "/api/accounts", "/api/failures"]) {
      const res = await api(path);
      expect(res.status, path).toBe(503);
      expect(res.headers.get("retry-after"), path).toMatch(/^[1-9]\d*$/);
    }
  });
});
