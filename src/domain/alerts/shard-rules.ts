/**
 * The rules that read accounts (stalled backfill, reconciliation drift, and "accounts exist" for
 * no_webhooks) read every gig shard and combine: the catalog's own answer covers the legacy shard
 * "DB". A shard that fails makes those rules partial: they may still open or keep alerts from
 * what they saw, but never resolve one, since the shard they could not read may hold its cause.
 * @module
 */
import { describeError } from "../errors.ts";
import { logError } from "../log.ts";
import type { AlertConfig } from "./config.ts";
import { driftQuery, MAX_SCOPES, type RuleName, ruleQueries } from "./rules.ts";

type Row = Record<string, unknown>;

export interface ShardBinding {
  name: string;
  db: D1Database;
}

/** Rules whose answer depends on every shard. */
export const SHARD_RULES: readonly RuleName[] = ["backfill_stalled", "reconciliation_drift", "no_webhooks"];

export interface ShardRuleRows {
  stalled: Row[];
  drift: { n: number; gigs: number };
  hasAccounts: boolean;
  /** Shards that could not be read this run. */
  failed: string[];
}

const num = (value: unknown): number => (typeof value === "number" ? value : Number(value ?? 0) || 0);

/** One batch per shard (3 index reads), in turn; a failing shard is logged and listed in `failed`. */
export async function readShardRuleRows(
  shards: readonly ShardBinding[],
  config: AlertConfig,
  nowMs: number,
): Promise<ShardRuleRows> {
  const stalledQuery = ruleQueries(config, nowMs).stalled as { sql: string; params: (string | number)[] };
  const drift = driftQuery(config);
  const out: ShardRuleRows = { stalled: [], drift: { n: 0, gigs: 0 }, hasAccounts: false, failed: [] };
  for (const { name, db } of shards) {
    try {
      const [stalled, drifted, exists] = await db.batch<Row>([
        db.prepare(stalledQuery.sql).bind(...stalledQuery.params),
        db.prepare(drift.sql).bind(...drift.params),
        db.prepare("SELECT EXISTS (SELECT 1 FROM accounts) AS has_accounts"),
      ]);
      out.stalled.push(...(stalled?.results ?? []));
      out.drift.n += num(drifted?.results[0]?.n);
      out.drift.gigs += num(drifted?.results[0]?.gigs);
      out.hasAccounts ||= num(exists?.results[0]?.has_accounts) > 0;
    } catch (error) {
      logError("alerts: a shard could not be read; its rules keep their alerts this run", {
        shard: name,
        error: describeError(error),
      });
      out.failed.push(name);
    }
  }
  // Sorted and capped once, with the catalog's rows, by combineShardRows.
  return out;
}

/** The catalog's rule rows combined with the shards' (stalled sorted oldest first, capped as the query is). */
export function combineShardRows(
  results: Record<string, Row[]>,
  catalogDrift: Row | null,
  shards: ShardRuleRows,
): { results: Record<string, Row[]>; drift: Row | null } {
  const stalled = [...(results.stalled ?? []), ...shards.stalled]
    .sort((a, b) => num(a.backfill_progress_ms) - num(b.backfill_progress_ms))
    .slice(0, MAX_SCOPES + 1);
  const quiet = results.quiet?.[0] ?? {};
  const combinedQuiet = { ...quiet, has_accounts: num(quiet.has_accounts) > 0 || shards.hasAccounts ? 1 : 0 };
  const drift =
    catalogDrift === null && shards.drift.n === 0
      ? catalogDrift
      : { n: num(catalogDrift?.n) + shards.drift.n, gigs: num(catalogDrift?.gigs) + shards.drift.gigs };
  return { results: { ...results, stalled, quiet: [combinedQuiet] }, drift };
}
