/**
 * The purge marker (`purged_accounts`), as every reader and writer checks it. Written before any
 * row of the account is deleted, so the account reads as deleted from the first moment, and work
 * still queued for it (a fetch, a backfill page) cannot bring it back: gig and account writes are
 * conditional on the marker's absence in the same statement, so even a write that lands just after
 * the purge started stores nothing.
 * @module
 */

/** SQL: true when the account in `accountExpr` is purged or being purged. */
export function purgedSql(accountExpr: string): string {
  return `EXISTS (SELECT 1 FROM purged_accounts p WHERE p.account = ${accountExpr})`;
}

/** SQL: true when the account in `accountExpr` may be read and written. */
export function notPurgedSql(accountExpr: string): string {
  return `NOT ${purgedSql(accountExpr)}`;
}

/**
 * Whether work for `account` must store nothing. A job from a webhook that arrived after a
 * retention purge finished is new activity at Argyle: the marker is lifted and the job runs (the
 * account is mirrored afresh). Markers of deletions (webhook or API) are permanent.
 * Both statements run in one batch: one subrequest.
 */
export async function accountIsPurged(
  db: D1Database,
  account: string,
  webhookReceivedAt: string | null,
): Promise<boolean> {
  const [, found] = await db.batch<{ found: number }>([
    liftRetentionStatement(db, account, webhookReceivedAt),
    db.prepare("SELECT 1 AS found FROM purged_accounts WHERE account = ?1").bind(account),
  ]);
  return (found?.results.length ?? 0) > 0;
}

/**
 * Lifts a finished retention purge's marker for a webhook that arrived after it (no-op
 * otherwise). Runs first in a job's write batch, so the writes after it see the account alive.
 */
export function liftRetentionStatement(
  db: D1Database,
  account: string,
  webhookReceivedAt: string | null,
): D1PreparedStatement {
  return db
    .prepare(
      `DELETE FROM purged_accounts WHERE account = ?1 AND ?2 IS NOT NULL AND reason = 'retention'
         AND completed_at IS NOT NULL AND completed_at < ?2`,
    )
    .bind(account, webhookReceivedAt);
}
