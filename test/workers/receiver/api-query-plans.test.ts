import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { GigFilters, GigKey, GigListRequest } from "../../../src/domain/gig-list-params.ts";
import type { Position } from "../../../src/domain/list-params.ts";
import type { EventFilters, FailureFilters } from "../../../src/domain/ops-list-params.ts";
import { buildAccountListQuery, buildOpenFailuresQuery } from "../../../src/domain/storage/accounts-read.ts";
import { buildEventListQuery } from "../../../src/domain/storage/events-read.ts";
import { buildFailureListQuery } from "../../../src/domain/storage/failures.ts";
import { buildGigListQuery } from "../../../src/domain/storage/gigs-read.ts";
import type { BoundQuery } from "../../../src/domain/storage/query.ts";
import updated from "../../fixtures/webhooks/gigs.updated.json";
import { ACCOUNT, api, insertAccount, insertFailure, insertGigs, makeGig, shardBinding, USER } from "../api-helpers.ts";
import { clearTables, gigIds, postWebhook } from "../helpers.ts";

/** The plan's lines, as SQLite words them ("SEARCH gigs USING INDEX gigs_by_start (start_ms>?)"). */
async function plan(query: BoundQuery, db: D1Database = env.DB): Promise<string[]> {
  const { results } = await db
    .prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
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
    // On a gig shard (its own schema), skipping the accounts mid-move it is not home to: the same index.
    it.each(gigPositions)(
      `gigs on a shard, skipping moving accounts (${filterLabel}): %s`,
      async (_label, position) => {
        const query = buildGigListQuery(gigRequest(filters, position), [ACCOUNT, USER]);
        expect(query.sql).toContain("NOT IN");
        const lines = await plan(query, shardBinding("SHARD_1"));
        expectIndexedOnly(lines);
        expect(lines.join("\n")).toMatch(new RegExp(`INDEX ${index}\\b`));
      },
    );
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
  ])("accounts on a shard, with their gig counts per row: %s", async (_label, position) => {
    const query = buildAccountListQuery({ filters: {}, params: {}, limit: 50, position }, [ACCOUNT]);
    const lines = await plan(query, shardBinding("SHARD_1"));
    expectIndexedOnly(lines);
    const text = lines.join("\n");
    expect(text).toMatch(/sqlite_autoindex_accounts_1/);
    expect(text).toMatch(/SEARCH g USING COVERING INDEX gigs_by_account_removed \(account=\? AND removed_at=\?\)/);
    expect(text).toMatch(/SEARCH g USING COVERING INDEX gigs_by_account_removed \(account=\? AND removed_at>\?\)/);
  });

  it("accounts: a page's open failures in one catalog query, a look-up per account", async () => {
    const text = (await plan(buildOpenFailuresQuery([ACCOUNT, USER]))).join("\n");
    expect(text).toMatch(/SEARCH failures USING COVERING INDEX failures_by_account \(account=\? AND status=\?\)/);
  });
});

/**
 * The cost of each read in round trips, as the README's HTTP contract states it: the catalog a
 * fixed few queries (run at once where they do not depend on each other), each shard in scope at
 * most two (the page and its freshness), shards out of scope none. The account lives in SHARD_2;
 * SHARD_1 and SHARD_3 hold nothing of it.
 */
describe("queries per request, per database", () => {
  const SHARDS = ["SHARD_1", "SHARD_2", "SHARD_3"] as const;
  beforeEach(async () => {
    await clearTables();
    await insertGigs(
      gigIds(5).map((id, i) => makeGig(id, i === 0 ? null : `2023-03-0${i}T00:00:00Z`)),
      { shard: "SHARD_2" },
    );
    await insertAccount({ id: ACCOUNT }, "SHARD_2");
    await insertFailure({ id: ID });
    await postWebhook(JSON.stringify(updated));
  });
  afterEach(() => vi.restoreAllMocks());

  // [path, catalog queries at most, queries on the account's shard, on each other shard]
  it.each([
    ["/v2/gigs?limit=2", 3, 2, 2],
    [`/v2/gigs?user=${USER}&limit=2`, 2, 2, 0],
    [`/v2/gigs?account=${ACCOUNT}&user=${USER}&from_start_datetime=2023-01-01&limit=2`, 2, 2, 0],
    [`/v2/gigs/${gigIds(1)[0]}`, 2, 1, 1],
    ["/api/events?limit=1", 2, 0, 0],
    [`/api/events?status=accepted&since=2020-01-01`, 2, 0, 0],
    ["/api/accounts", 3, 1, 1],
    [`/api/accounts/${ACCOUNT}`, 2, 1, 0],
    ["/api/failures?status=open", 2, 0, 0],
  ] as const)("GET %s: catalog ≤ %i, home shard %i, other shards %i", async (path, catalog, home, other) => {
    const spies = Object.fromEntries(
      ["DB", ...SHARDS].map((name) => [name, vi.spyOn(shardBinding(name), "prepare")] as const),
    );
    const batches = ["DB", ...SHARDS].map((name) => vi.spyOn(shardBinding(name), "batch"));
    const expectCounts = () => {
      expect(spies.DB?.mock.calls.length).toBeLessThanOrEqual(catalog);
      expect(spies.SHARD_2?.mock.calls.length).toBe(home);
      expect(spies.SHARD_1?.mock.calls.length).toBe(other);
      expect(spies.SHARD_3?.mock.calls.length).toBe(other);
      for (const batch of batches) expect(batch).not.toHaveBeenCalled();
    };
    const res = await api(path);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { next?: string | null; results?: unknown[]; data?: unknown[] };
    // Not vacuous: the account's rows are found where they live.
    if (path !== "/api/failures?status=open" && !path.startsWith("/api/events"))
      expect(JSON.stringify(body)).toContain(ACCOUNT);
    expectCounts();
    // The next page costs the same.
    if (body.next) {
      for (const spy of Object.values(spies)) spy.mockClear();
      expect((await api(body.next)).status).toBe(200);
      expectCounts();
    }
  });
});
