import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { GigFilters, GigKey, GigListRequest } from "../../../src/domain/gig-list-params.ts";
import type { Position } from "../../../src/domain/list-params.ts";
import type { EventFilters, FailureFilters } from "../../../src/domain/ops-list-params.ts";
import { buildAccountListQuery } from "../../../src/domain/storage/accounts-read.ts";
import { buildEventListQuery } from "../../../src/domain/storage/events-read.ts";
import { buildFailureListQuery } from "../../../src/domain/storage/failures.ts";
import { buildGigListQuery } from "../../../src/domain/storage/gigs-read.ts";
import type { BoundQuery } from "../../../src/domain/storage/query.ts";
import updated from "../../fixtures/webhooks/gigs.updated.json";
import { ACCOUNT, api, insertAccount, insertFailure, insertGigs, makeGig, USER } from "../api-helpers.ts";
import { clearTables, gigIds, postWebhook } from "../helpers.ts";

/** The plan's lines, as SQLite words them ("SEARCH gigs USING INDEX gigs_by_start (start_ms>?)"). */
async function plan(query: BoundQuery): Promise<string[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
    .bind(...query.params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail);
}

/** No line reads a table without an index ("SCAN gigs" alone is a full table scan). */
function expectIndexedOnly(lines: string[]): void {
  const tableReads = lines.filter((l) => /^(SCAN|SEARCH) (gigs|events|failures|accounts|[gefa])\b/.test(l));
  expect(tableReads.length).toBeGreaterThan(0);
  for (const line of tableReads) expect(line).toMatch(/ USING (COVERING )?INDEX \w+/);
  expect(lines.join("\n")).not.toMatch(/^SCAN (gigs|events|failures|accounts)$/m);
}

const ID = "0190c0de-0000-7000-8000-000000000001";
const next = <K>(key: K, inclusive = false): Position<K> => ({ key, dir: "next", inclusive });
const previous = <K>(key: K, inclusive = false): Position<K> => ({ key, dir: "previous", inclusive });

function gigRequest(filters: GigFilters, position: Position<GigKey> | null): GigListRequest {
  return { filters, params: {}, limit: 10, position };
}

describe("every list query uses an index", () => {
  const gigFilters: [string, GigFilters, string][] = [
    ["no filter", {}, "gigs_by_newest"],
    ["account", { account: ACCOUNT }, "gigs_by_account_newest"],
    ["user", { user: USER }, "gigs_by_user_newest"],
    ["account and user", { account: ACCOUNT, user: USER }, "gigs_by_account_newest"],
    ["from", { fromMs: 1 }, "gigs_by_newest"],
    ["to", { toMs: 2 }, "gigs_by_newest"],
    ["account, from and to", { account: ACCOUNT, fromMs: 1, toMs: 2 }, "gigs_by_account_newest"],
    ["user, from and to", { user: USER, fromMs: 1, toMs: 2 }, "gigs_by_user_newest"],
  ];
  const gigPositions: [string, Position<GigKey> | null][] = [
    ["first page", null],
    ["next", next([5, ID])],
    ["next from a gig without a start", next([null, ID])],
    ["previous", previous([5, ID])],
    ["previous from a gig without a start", previous([null, ID])],
    ["previous, inclusive", previous([5, ID], true)],
  ];

  for (const [filterLabel, filters, index] of gigFilters) {
    it.each(gigPositions)(`gigs (${filterLabel}): %s`, async (_label, position) => {
      const lines = await plan(buildGigListQuery(gigRequest(filters, position)));
      expectIndexedOnly(lines);
      expect(lines.join("\n")).toMatch(new RegExp(`INDEX ${index}\\b`));
    });
  }

  it("gigs: a position inside the window is the scan's range, so a deep page does not re-read earlier ones", async () => {
    const window = { account: ACCOUNT, fromMs: 1, toMs: 1_000 };
    const forward = (await plan(buildGigListQuery(gigRequest(window, next([500, ID]))))).join("\n");
    // The key's own start, ids after it; then the starts below it, down to the window's `from`.
    expect(forward).toMatch(/SEARCH gigs USING INDEX gigs_by_account_newest \(account=\? AND start_ms=\? AND id>\?\)/);
    expect(forward).toMatch(
      /SEARCH gigs USING INDEX gigs_by_account_newest \(account=\? AND start_ms>\? AND start_ms<\?\)/,
    );
    const backward = (await plan(buildGigListQuery(gigRequest(window, previous([500, ID]))))).join("\n");
    expect(backward).toMatch(/SEARCH gigs USING INDEX gigs_by_account_newest \(account=\? AND start_ms=\? AND id<\?\)/);
    expect(backward).toMatch(
      /SEARCH gigs USING INDEX gigs_by_account_newest \(account=\? AND start_ms>\? AND start_ms<\?\)/,
    );
  });

  it("gigs: newest first comes straight from the index, without sorting the account's gigs", async () => {
    const lines = await plan(buildGigListQuery(gigRequest({ account: ACCOUNT }, null)));
    // The gigs come from the index in order (no sort step); the only other step is the purge check,
    // one primary-key look-up per query (a deleted account reads as deleted from the first moment).
    expect(lines).toEqual([
      "SEARCH gigs USING INDEX gigs_by_account_newest (account=?)",
      "CORRELATED SCALAR SUBQUERY 1",
      "SEARCH p USING COVERING INDEX sqlite_autoindex_purged_accounts_1 (account=?)",
    ]);
    const walkingBack = await plan(buildGigListQuery(gigRequest({ account: ACCOUNT }, previous([5, ID]))));
    // Each branch reads its range in order; only the few rows the branches return are merged.
    for (const line of walkingBack.filter((l) => l.startsWith("SEARCH gigs")))
      expect(line).toMatch(/gigs_by_account_newest/);
    expect(walkingBack.join("\n")).not.toMatch(/SCAN gigs/);
  });

  const eventFilters: [string, EventFilters, RegExp][] = [
    ["no filter", {}, /sqlite_autoindex_events_1/],
    ["event", { event: "gigs.updated" }, /events_by_event/],
    ["account", { account: ACCOUNT }, /events_by_account/],
    ["status", { status: "invalid" }, /events_by_status/],
    ["since", { minId: ID }, /sqlite_autoindex_events_1 \(id>\?/],
    ["everything", { event: "gigs.updated", account: ACCOUNT, status: "accepted", minId: ID }, /events_by_/],
  ];
  for (const [label, filters, index] of eventFilters) {
    it.each([
      ["first page", null],
      ["next", next(ID)],
      ["previous", previous(ID)],
    ])(`events (${label}): %s`, async (_position, position) => {
      const lines = await plan(buildEventListQuery({ filters, params: {}, limit: 50, position }));
      expectIndexedOnly(lines);
      expect(lines.join("\n")).toMatch(index);
      expect(lines.join("\n")).not.toContain("TEMP B-TREE");
    });
  }

  const failureFilters: [string, FailureFilters][] = [
    ["no filter", {}],
    ["status", { status: "open" }],
    ["account", { account: ACCOUNT }],
    ["status and account", { status: "redriven", account: ACCOUNT }],
  ];
  for (const [label, filters] of failureFilters) {
    it.each([
      ["first page", null],
      ["next", next(ID)],
    ])(`failures (${label}): %s`, async (_position, position) => {
      expectIndexedOnly(await plan(buildFailureListQuery({ filters, params: {}, limit: 50, position })));
    });
  }

  it.each([
    ["first page", null],
    ["next", next(ACCOUNT)],
  ])("accounts, with their counts per row: %s", async (_label, position) => {
    const lines = await plan(buildAccountListQuery({ filters: {}, params: {}, limit: 50, position }));
    expectIndexedOnly(lines);
    const text = lines.join("\n");
    expect(text).toMatch(/SEARCH g USING COVERING INDEX gigs_by_account_removed \(account=\? AND removed_at=\?\)/);
    expect(text).toMatch(/SEARCH g USING COVERING INDEX gigs_by_account_removed \(account=\? AND removed_at>\?\)/);
    expect(text).toMatch(/SEARCH f USING COVERING INDEX failures_by_account \(account=\? AND status=\?\)/);
  });
});

describe("at most two D1 queries per request", () => {
  beforeEach(async () => {
    await clearTables();
    await insertGigs(gigIds(5).map((id, i) => makeGig(id, i === 0 ? null : `2023-03-0${i}T00:00:00Z`)));
    await insertAccount({ id: ACCOUNT });
    await insertFailure({ id: ID });
    await postWebhook(JSON.stringify(updated));
  });
  afterEach(() => vi.restoreAllMocks());

  it.each([
    "/v2/gigs?limit=2",
    `/v2/gigs?account=${ACCOUNT}&user=${USER}&from_start_datetime=2023-01-01&limit=2`,
    `/v2/gigs/${gigIds(1)[0]}`,
    "/api/events?limit=1",
    `/api/events?status=accepted&since=2020-01-01`,
    "/api/accounts",
    `/api/accounts/${ACCOUNT}`,
    "/api/failures?status=open",
  ])("GET %s", async (path) => {
    const prepare = vi.spyOn(env.DB, "prepare");
    const batch = vi.spyOn(env.DB, "batch");
    const res = await api(path);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { next?: string | null };
    expect(prepare.mock.calls.length).toBeLessThanOrEqual(2);
    expect(batch).not.toHaveBeenCalled();
    // The next page costs the same.
    if (body.next) {
      prepare.mockClear();
      expect((await api(body.next)).status).toBe(200);
      expect(prepare.mock.calls.length).toBeLessThanOrEqual(2);
    }
  });
});
