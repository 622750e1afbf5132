/**
 * How current the mirror's data is, for the freshness headers of /v2/gigs: when a complete
 * listing last confirmed the account (a backfill or reconciliation pass), whether a pass is
 * running, and how many failures are open. For a list over several accounts (a `user` filter, or
 * none), the least fresh account speaks for all: the oldest confirmation (or never, if any account
 * was never confirmed), running if any account's pass is, and the sum of open failures.
 * Every query is index-backed: O(accounts of the scope), O(1) for the whole mirror.
 * @module
 */
import { msToIso } from "../datetime.ts";

export type FreshnessScope = { gig: string } | { account: string } | { user: string } | { all: true };

export interface Freshness {
  scope: "account" | "user" | "all";
  /** ISO time, or null: never confirmed by a complete listing. */
  syncedAt: string | null;
  backfill: "running" | "idle";
  openFailures: number;
}

const OPEN = "(SELECT COUNT(*) FROM failures f WHERE f.account = a.id AND f.status = 'open')";

export async function readFreshness(db: D1Database, scope: FreshnessScope): Promise<Freshness> {
  let statement: D1PreparedStatement;
  let kind: Freshness["scope"];
  if ("gig" in scope) {
    kind = "account";
    statement = db
      .prepare(
        `SELECT a.last_reconciled_ms AS synced, a.backfill_status = 'running' AS running, ${OPEN} AS failures
         FROM gigs g JOIN accounts a ON a.id = g.account WHERE g.id = ?1`,
      )
      .bind(scope.gig);
  } else if ("account" in scope) {
    kind = "account";
    statement = db
      .prepare(
        `SELECT a.last_reconciled_ms AS synced, a.backfill_status = 'running' AS running, ${OPEN} AS failures
         FROM accounts a WHERE a.id = ?1`,
      )
      .bind(scope.account);
  } else if ("user" in scope) {
    kind = "user";
    statement = db
      .prepare(
        `SELECT CASE WHEN COUNT(*) = 0 OR MIN(COALESCE(a.last_reconciled_ms, 0)) = 0 THEN NULL
           ELSE MIN(a.last_reconciled_ms) END AS synced,
           MAX(a.backfill_status = 'running') AS running, SUM(${OPEN}) AS failures
         FROM accounts a WHERE a.user = ?1`,
      )
      .bind(scope.user);
  } else {
    kind = "all";
    statement = db.prepare(
      `SELECT CASE WHEN EXISTS (SELECT 1 FROM accounts WHERE last_reconciled_ms IS NULL) THEN NULL
         ELSE (SELECT MIN(last_reconciled_ms) FROM accounts) END AS synced,
         EXISTS (SELECT 1 FROM accounts WHERE backfill_status = 'running') AS running,
         (SELECT COUNT(*) FROM failures WHERE status = 'open') AS failures`,
    );
  }
  const row = await statement.first<{ synced: number | null; running: number | null; failures: number | null }>();
  return {
    scope: kind,
    syncedAt: msToIso(row?.synced ?? null),
    backfill: row?.running ? "running" : "idle",
    openFailures: row?.failures ?? 0,
  };
}
