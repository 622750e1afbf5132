import { beforeEach, describe, expect, it } from "vitest";
import type { AccountSummary } from "../../../src/domain/storage/accounts-read.ts";
import { ACCOUNT, apiJson, insertAccount, insertFailure, insertGigs, makeGig, ORIGIN, USER } from "../api-helpers.ts";
import { clearTables, gigIds } from "../helpers.ts";

interface AccountPage {
  data: AccountSummary[];
  next: string | null;
}

const OTHER_ACCOUNT = "0187c66e-ffff-811c-b006-2232f00f426a";

beforeEach(clearTables);

describe("GET /api/accounts/{id}", () => {
  beforeEach(async () => {
    await insertAccount({
      id: ACCOUNT,
      available_count: 2385,
      last_webhook_at: "2024-06-01T12:00:00.000Z",
      last_fetch_at: "2024-06-01T12:00:05.000Z",
      backfill_status: "running",
      backfill_pass: "0190c0de-0000-7000-8000-000000000001:0",
      backfill_cursor: "https://api.argyle.com/v2/gigs?cursor=abc",
      backfill_pages: 12,
      backfill_gigs: 2400,
      backfill_skipped: 1,
      backfill_started_ms: Date.parse("2024-06-01T11:00:00Z"),
      backfill_progress_ms: Date.parse("2024-06-01T11:59:00Z"),
      last_error: "Argyle answered 429",
      last_error_at: "2024-06-01T11:30:00.000Z",
      last_reconciled_ms: Date.parse("2024-05-30T10:00:00Z"),
      drift_found: 3,
      drift_total: 5,
    });
    await insertAccount({ id: OTHER_ACCOUNT });
    const [live1, live2, live3, gone1, gone2] = gigIds(5);
    await insertGigs([live1, live2, live3].map((id) => makeGig(id as string, "2023-03-01T00:00:00Z")));
    await insertGigs([makeGig(gone1 as string, null)], { removedAt: "2024-06-01T10:00:00Z" });
    await insertGigs([makeGig(gone2 as string, null)], { removedAt: "2024-06-01T10:00:00Z", text: null });
    await insertGigs([makeGig(gigIds(1, "0191")[0] as string, "2023-03-01T00:00:00Z", OTHER_ACCOUNT)]);
    await insertFailure({ id: "0190c0de-0000-7000-8000-000000000001" });
    await insertFailure({ id: "0190c0de-0000-7000-8000-000000000002" });
    await insertFailure({ id: "0190c0de-0000-7000-8000-000000000003", status: "redriven", redriven_at: "x" });
    await insertFailure({ id: "0190c0de-0000-7000-8000-000000000004", account: OTHER_ACCOUNT });
  });

  it("answers Argyle's count, what the mirror holds, backfill progress, and open failures", async () => {
    const { status, body } = await apiJson<AccountSummary>(`/api/accounts/${ACCOUNT}`);
    expect(status).toBe(200);
    expect(body).toEqual({
      id: ACCOUNT,
      user: USER,
      available_count: 2385,
      gigs_stored: 3,
      gigs_removed: 2,
      backfill: {
        status: "running",
        pages: 12,
        gigs: 2400,
        skipped: 1,
        started_at: "2024-06-01T11:00:00.000Z",
        progress_at: "2024-06-01T11:59:00.000Z",
        completed_at: null,
      },
      last_webhook_at: "2024-06-01T12:00:00.000Z",
      last_fetch_at: "2024-06-01T12:00:05.000Z",
      open_failures: 2,
      last_error: "Argyle answered 429",
      last_error_at: "2024-06-01T11:30:00.000Z",
      reconcile: { last_reconciled_at: "2024-05-30T10:00:00.000Z", drift_found: 3, drift_total: 5 },
      // Stored before sharding: the catalog serves it as legacy shard DB.
      shard: "DB",
      move: null,
    });
  });

  it("counts only the account's own rows, and zeros for an account with none", async () => {
    const other = (await apiJson<AccountSummary>(`/api/accounts/${OTHER_ACCOUNT}`)).body;
    expect(other).toMatchObject({ gigs_stored: 1, gigs_removed: 0, open_failures: 1, available_count: null });
    expect(other.backfill).toEqual({
      status: "none",
      pages: 0,
      gigs: 0,
      skipped: 0,
      started_at: null,
      progress_at: null,
      completed_at: null,
    });
  });

  it.each([
    ["unknown", "0187c66e-0000-811c-b006-2232f00f426a"],
    ["not an id", "nope"],
    ["injection-shaped", encodeURIComponent("' OR 1=1 --")],
  ])("answers 404 for an %s id", async (_label, id) => {
    const { status, body } = await apiJson(`/api/accounts/${id}`);
    expect(status).toBe(404);
    expect(body).toEqual({ error: { code: "not_found", message: expect.any(String) } });
  });
});

describe("GET /api/accounts", () => {
  it("lists accounts by id, a page at a time, with the same summary as the single route", async () => {
    const ids = gigIds(7, "0192").sort();
    for (const id of [...ids].reverse()) await insertAccount({ id });
    await insertGigs([makeGig(gigIds(1)[0] as string, null, ids[3])]);
    const pages: AccountPage[] = [];
    let url: string | null = "/api/accounts?limit=3";
    while (url !== null) {
      const page: { body: AccountPage } = await apiJson<AccountPage>(url);
      pages.push(page.body);
      url = page.body.next;
      if (url) expect(url.startsWith(`${ORIGIN}/api/accounts?cursor=`)).toBe(true);
    }
    expect(pages.map((p) => p.data.length)).toEqual([3, 3, 1]);
    expect(pages.flatMap((p) => p.data.map((a) => a.id))).toEqual(ids);
    const fourth = pages[1]?.data[0];
    expect(fourth).toEqual((await apiJson(`/api/accounts/${ids[3]}`)).body);
    expect(fourth?.gigs_stored).toBe(1);
  });

  it("answers an empty list", async () => {
    expect((await apiJson("/api/accounts")).body).toEqual({ data: [], next: null });
  });

  it.each(["limit=201", "limit=abc", "cursor=%27%3B%20DROP%20TABLE%20accounts%3B%20--"])(
    "answers 400 for %s",
    async (query) => {
      const { status, body } = await apiJson<{ error: { code: string } }>(`/api/accounts?${query}`);
      expect(status).toBe(400);
      expect(body.error.code).toBe("invalid_parameter");
    },
  );
});
