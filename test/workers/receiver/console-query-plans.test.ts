import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ALERT_LIST, buildAlertListQuery } from "../../../src/domain/alerts/read.ts";
import { parseListRequest } from "../../../src/domain/list-params.ts";
import {
  buildAccountEventsQuery,
  buildAccountGigsQuery,
  buildAccountPageQuery,
} from "../../../src/domain/storage/console-accounts.ts";
import {
  buildInvalidEventBatchQuery,
  buildInvalidEventCountQuery,
  buildOpenFailureBatchQuery,
  buildOpenFailureCountQuery,
} from "../../../src/domain/storage/console-bulk.ts";
import { buildGigEventsQuery } from "../../../src/domain/storage/console-events.ts";
import {
  BACKLOG_QUERY,
  buildAttentionQuery,
  buildBackfillQuery,
  buildHourQuery,
  DIRECTORY_COUNTS_QUERY,
  GIG_COUNT_QUERY,
  MOVING_QUERY,
  OPEN_FAILURE_ACCOUNTS_QUERY,
  OPEN_FAILURES_QUERY,
} from "../../../src/domain/storage/console-overview.ts";
import type { BoundQuery } from "../../../src/domain/storage/query.ts";
import { LIVE_ALERT_COUNT_QUERY } from "../../../src/receiver/console/alerts-hook.ts";
import { ACCOUNT, shardBinding } from "../api-helpers.ts";

const ID = "0190c0de-0000-7000-8000-000000000001";

/** The alerts list as the console asks for it: filters from the form, then a page after `ID`. */
function alertPage(query: Record<string, string>, after?: string): BoundQuery {
  const parsed = parseListRequest(ALERT_LIST, query);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const position = after ? { key: after, dir: "next" as const, inclusive: false } : null;
  return buildAlertListQuery({ ...parsed.value, position });
}

async function plan(query: BoundQuery, db: D1Database = env.DB): Promise<string> {
  const { results } = await db
    .prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
    .bind(...query.params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail).join("\n");
}

/** Every read of a table goes through an index (a bare "SCAN <table>" is a full table scan). */
function expectIndexed(lines: string): void {
  const reads = lines
    .split("\n")
    .filter((l) => /^(SCAN|SEARCH) (gigs|events|failures|accounts|event_bodies|alerts|directory|[gefabr])\b/.test(l));
  expect(reads.length).toBeGreaterThan(0);
  for (const line of reads)
    expect(line, lines).toMatch(/ USING (COVERING |INTEGER PRIMARY KEY |PRIMARY KEY )?INDEX \w+| USING PRIMARY KEY/);
}

describe("every console query uses an index", () => {
  const SKIP = [ACCOUNT];
  /** Queries that run on each gig shard, planned against a shard's own schema. */
  const shardCases: [string, BoundQuery, RegExp][] = [
    ["overview: backfills in flight", buildBackfillQuery(Date.now(), SKIP), /accounts_by_backfill/],
    ["overview: attention", buildAttentionQuery(Date.now(), [ACCOUNT], SKIP), /accounts_with_error/],
    ["overview: live gigs, counted up to the cap", GIG_COUNT_QUERY, /SCAN gigs USING COVERING INDEX gigs_by_/],
    ["accounts: first page", buildAccountPageQuery({ limit: 50 }, SKIP), /sqlite_autoindex_accounts_1/],
    [
      "accounts: one state, next page",
      buildAccountPageQuery({ status: "failed", after: ACCOUNT, limit: 50 }, SKIP),
      /accounts_by_backfill_id/,
    ],
    ["account: gigs", buildAccountGigsQuery(ACCOUNT), /gigs_by_account_newest/],
  ];
  it.each(shardCases)("on a shard: %s", async (_label, query, index) => {
    const lines = await plan(query, shardBinding("SHARD_1"));
    expectIndexed(lines);
    expect(lines).toMatch(index);
  });

  const cases: [string, BoundQuery, RegExp][] = [
    ["overview: one hour by status", buildHourQuery(Date.now()), /events_by_status/],
    ["overview: backlog", BACKLOG_QUERY, /events_not_enqueued/],
    ["overview: open failures", OPEN_FAILURES_QUERY, /failures_by_status/],
    ["overview: accounts with open failures", OPEN_FAILURE_ACCOUNTS_QUERY, /failures_by_status/],
    ["overview: accounts per shard", DIRECTORY_COUNTS_QUERY, /directory_by_shard/],
    ["overview: accounts mid-move", MOVING_QUERY, /directory_moving/],
    // The catalog serves legacy accounts as shard DB: the shard queries must use its indexes too.
    ["legacy DB: backfills in flight", buildBackfillQuery(Date.now(), SKIP), /accounts_by_backfill/],
    ["legacy DB: attention", buildAttentionQuery(Date.now(), [ACCOUNT], SKIP), /accounts_with_error/],
    ["legacy DB: accounts first page", buildAccountPageQuery({ limit: 50 }, SKIP), /sqlite_autoindex_accounts_1/],
    ["account: events", buildAccountEventsQuery(ACCOUNT), /events_by_account/],
    ["events: by gig", buildGigEventsQuery(ID, ACCOUNT), /events_by_account/],
    [
      "bulk replay: batch",
      buildInvalidEventBatchQuery({ account: ACCOUNT, event: "gigs.updated" }, ID, 10),
      /events_by_[\s\S]*events_by_replay_of/,
    ],
    ["bulk replay: count", buildInvalidEventCountQuery({ minId: ID }), /events_by_status[\s\S]*events_by_replay_of/],
    ["bulk retry: batch", buildOpenFailureBatchQuery({}, ID, 10), /failures_by_status/],
    ["bulk retry: count", buildOpenFailureCountQuery({ account: ACCOUNT }), /failures_by_/],
    ["overview: open and acknowledged alerts", LIVE_ALERT_COUNT_QUERY, /COVERING INDEX alerts_by_status/],
    ["alerts: first page", alertPage({}), /sqlite_autoindex_alerts_1/],
    ["alerts: one status, next page", alertPage({ status: "open" }, ID), /alerts_by_status/],
    ["alerts: one rule", alertPage({ rule: "backfill_stalled" }, ID), /alerts_by_key/],
    ["alerts: status and rule", alertPage({ status: "resolved", rule: "auth_refused" }, ID), /alerts_by_/],
  ];

  it.each(cases)("%s", async (_label, query, index) => {
    const lines = await plan(query);
    expectIndexed(lines);
    expect(lines).toMatch(index);
  });

  it("overview: the attention list reads each cause through its own index, never every account", async () => {
    const lines = await plan(buildAttentionQuery(Date.now(), [ACCOUNT], SKIP), shardBinding("SHARD_1"));
    expect(lines).toMatch(/accounts_by_backfill/);
    // The accounts with open failures (named by the catalog) are looked up by primary key.
    expect(lines).toMatch(/SEARCH a USING INDEX sqlite_autoindex_accounts_1 \(id=\?\)/);
    // Scanning the partial index reads only the accounts that carry an error.
    expect(lines).toMatch(/SCAN accounts USING INDEX accounts_with_error/);
    expect(lines).not.toMatch(/^SCAN (a|accounts)\b(?! USING INDEX accounts_with_error)/m);
  });
});
