/**
 * D1 reads behind two listing checks: which stored gigs a completed backfill pass did not see
 * (each is then confirmed with Argyle one by one before it is tombstoned), and how many of a
 * listed page's gigs the mirror already held (so a `gigs.added` window counts only new ones).
 * @module
 */

/**
 * Up to `limit` of the account's live gigs, in id order after `afterId`, that the pass did not
 * see: their state was last learned before the pass started. Only while `pass` is the account's
 * pass, done, and its listing skipped nothing (a pass that skipped gigs was not a complete
 * listing, so it proves nothing about the gigs it did not see). A continuation (`afterId` set) goes
 * on past the pass's own permanent confirmation failures, which count as skipped too. One query;
 * none when the pass does not qualify.
 */
export async function unseenGigIds(
  db: D1Database,
  account: string,
  pass: string,
  afterId: string | null,
  limit: number,
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT id FROM gigs
       WHERE account = ?1 AND removed_at IS NULL AND id > ?3
         AND synced_ms < (SELECT backfill_started_ms FROM accounts WHERE id = ?1 AND backfill_pass = ?2
           AND backfill_status = 'done' AND (backfill_skipped = 0 OR ?3 <> ''))
       ORDER BY id LIMIT ?4`,
    )
    .bind(account, pass, afterId ?? "", limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/**
 * How many of `ids` the mirror holds alive with data. Run in a page's write batch, before the
 * page's upserts, it counts what the mirror had before this page; one bound parameter (a JSON
 * array) whatever the page size.
 */
export function knownGigCountStatement(db: D1Database, ids: readonly string[]): D1PreparedStatement {
  return db
    .prepare(
      `SELECT COUNT(*) AS known FROM gigs
       WHERE id IN (SELECT value FROM json_each(?1)) AND removed_at IS NULL AND data IS NOT NULL`,
    )
    .bind(JSON.stringify(ids));
}

/** The count `knownGigCountStatement` returned, from its batch result; null if unreadable. */
export function knownGigCount(result: D1Result | undefined): number | null {
  const row = result?.results[0] as { known?: unknown } | undefined;
  return typeof row?.known === "number" ? row.known : null;
}
