/**
 * How current the mirror's data is, for the freshness headers of /v2/gigs: when a complete
 * listing last confirmed the account (a backfill or reconciliation pass), whether a pass is
 * running, and how many failures are open. For a list over several accounts (a `user` filter, or
 * none), the least fresh account speaks for all: the oldest confirmation (or never, if any account
 * was never confirmed), running if any account's pass is, and the sum of open failures.
 * Sync state lives with the gigs in the shards, failures in the catalog: the shards in scope and
 * the catalog are asked at once, each query index-backed (O(accounts of the scope) per shard, O(1)
 * for the whole mirror).
 * @module
 */
import { msToIso } from "../datetime.ts";
import type { ShardTarget } from "../shards/read-scope.ts";
import { Params } from "../storage/query.ts";

export type FreshnessScope =
  | { account: string; target: ShardTarget | null }
  | { user: string; targets: readonly ShardTarget[] }
  | { all: true; targets: readonly ShardTarget[] };

export interface Freshness {
  scope: "account" | "user" | "all";
  /** ISO time, or null: never confirmed by a complete listing. */
  syncedAt: string | null;
  backfill: "running" | "idle";
  openFailures: number;
}

/** One shard's part: whether any account in scope was never confirmed, the oldest confirmation, any pass running. */
export interface SyncState {
  never: boolean;
  oldestMs: number | null;
  running: boolean;
}

interface SyncRow {
  never: number | null;
  oldest: number | null;
  running: number | null;
}

function shardStatement(target: ShardTarget, scope: FreshnessScope): D1PreparedStatement {
  if ("account" in scope) {
    return target.db
      .prepare(
        `SELECT last_reconciled_ms IS NULL AS never, last_reconciled_ms AS oldest, backfill_status = 'running' AS running
         FROM accounts WHERE id = ?1`,
      )
      .bind(scope.account);
  }
  const params = new Params();
  const user = "user" in scope ? params.bind(scope.user) : null;
  // A moving account's row on the shard that is not its home is a copy: not counted twice.
  const skip =
    target.skip.length > 0
      ? ` AND id NOT IN (SELECT value FROM json_each(${params.bind(JSON.stringify(target.skip))}))`
      : "";
  const sql =
    user !== null
      ? `SELECT COALESCE(SUM(last_reconciled_ms IS NULL), 0) AS never, MIN(last_reconciled_ms) AS oldest,
           COALESCE(MAX(backfill_status = 'running'), 0) AS running
         FROM accounts WHERE user = ${user}${skip}`
      : `SELECT EXISTS (SELECT 1 FROM accounts WHERE last_reconciled_ms IS NULL${skip}) AS never,
           (SELECT MIN(last_reconciled_ms) FROM accounts WHERE last_reconciled_ms IS NOT NULL${skip}) AS oldest,
           EXISTS (SELECT 1 FROM accounts WHERE backfill_status = 'running'${skip}) AS running`;
  return target.db.prepare(sql).bind(...params.values);
}

function failuresStatement(catalog: D1Database, scope: FreshnessScope): D1PreparedStatement {
  if ("account" in scope) {
    return catalog
      .prepare("SELECT COUNT(*) AS n FROM failures WHERE account = ?1 AND status = 'open'")
      .bind(scope.account);
  }
  if ("user" in scope) {
    return catalog
      .prepare(
        `SELECT COUNT(*) AS n FROM failures
         WHERE status = 'open' AND account IN (SELECT account FROM directory WHERE user = ?1)`,
      )
      .bind(scope.user);
  }
  return catalog.prepare("SELECT COUNT(*) AS n FROM failures WHERE status = 'open'");
}

/** The least fresh of several shards' states. */
export function combineSync(states: readonly SyncState[]): Pick<Freshness, "syncedAt" | "backfill"> {
  const never = states.some((s) => s.never);
  const oldest = states.reduce<number | null>(
    (min, s) => (s.oldestMs === null ? min : min === null ? s.oldestMs : Math.min(min, s.oldestMs)),
    null,
  );
  return { syncedAt: never ? null : msToIso(oldest), backfill: states.some((s) => s.running) ? "running" : "idle" };
}

export async function readFreshness(catalog: D1Database, scope: FreshnessScope): Promise<Freshness> {
  const targets = "account" in scope ? (scope.target ? [scope.target] : []) : scope.targets;
  const [failures, ...rows] = await Promise.all([
    failuresStatement(catalog, scope).first<{ n: number }>(),
    ...targets.map((target) => shardStatement(target, scope).first<SyncRow>()),
  ]);
  const states = rows
    .filter((row): row is SyncRow => row !== null)
    .map((row) => ({ never: (row.never ?? 0) > 0, oldestMs: row.oldest, running: (row.running ?? 0) > 0 }));
  // No account in scope at all: never confirmed (as one database answered before).
  const sync = states.length === 0 ? { syncedAt: null, backfill: "idle" as const } : combineSync(states);
  return {
    scope: "account" in scope ? "account" : "user" in scope ? "user" : "all",
    ...sync,
    openFailures: failures?.n ?? 0,
  };
}
