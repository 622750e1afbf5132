/**
 * Fences (shard table `account_fences`): an account being moved away from a shard, or moved away
 * already, must not change there. A consumer that looked the account up in the directory just
 * before a move started still writes to the old shard; so every write of an account's rows checks
 * the fence in the same statement (like the purge marker), and the job's commit reads the fence in
 * the same transaction: a fenced job stored nothing, knows it, and is deferred to look again.
 * @module
 */
import { liftRetentionStatement, notPurgedSql, purgedSql } from "../lifecycle/purged.ts";

/** SQL: true when the account in `accountExpr` is fenced on this shard. */
export function fencedSql(accountExpr: string): string {
  return `EXISTS (SELECT 1 FROM account_fences f WHERE f.account = ${accountExpr})`;
}

/** SQL: true when the account's rows on this shard may be written: neither purged nor fenced. */
export function writableSql(accountExpr: string): string {
  return `${notPurgedSql(accountExpr)} AND NOT ${fencedSql(accountExpr)}`;
}

/** How long a job that met a fence waits before it looks the account up again. */
export const FENCED_RETRY_SECONDS = 30;

/** What a job may do with an account on this shard: 1/0 flags, read in the job's own transaction. */
export interface AccountWriteState {
  purged: number;
  fenced: number;
}

/** SQL reading `AccountWriteState` for the account bound as ?1. */
export const accountWriteStateSql = `SELECT ${purgedSql("?1")} AS purged, ${fencedSql("?1")} AS fenced`;

/**
 * Whether work for `account` may run on this shard: purged (store nothing, done) or fenced (a move
 * has it: come back later). Lifts a finished retention purge's marker first for a newer webhook,
 * like every job's commit (lifecycle/purged.ts), here and, if it lifted one, in the catalog too.
 * One batch: one subrequest (two when a marker is lifted).
 */
export async function accountWriteState(
  db: D1Database,
  account: string,
  webhookReceivedAt: string | null,
  catalog?: D1Database,
): Promise<{ purged: boolean; fenced: boolean }> {
  const [lifted, read] = await db.batch<AccountWriteState>([
    liftRetentionStatement(db, account, webhookReceivedAt),
    db.prepare(accountWriteStateSql).bind(account),
  ]);
  if ((lifted?.meta.changes ?? 0) > 0 && catalog && catalog !== db) {
    await liftRetentionStatement(catalog, account, webhookReceivedAt).run();
  }
  const row = read?.results[0];
  return { purged: Boolean(row?.purged), fenced: Boolean(row?.fenced) };
}
