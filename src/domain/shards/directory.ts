/**
 * The directory (catalog table `directory`): which gig shard holds each account. One row per
 * account, written by the consumer the first time it works for the account and changed only by a
 * move. Readers ask it before touching a shard; cross-shard reads ask it which accounts are moving,
 * so an account half-copied to its new shard is read from one shard only.
 * @module
 */

export type MoveState = "copying" | "cleanup";

export interface DirectoryEntry {
  account: string;
  /** The home shard: where the account's rows are read and written now. */
  shard: string;
  user: string | null;
  moveState: MoveState | null;
  /** During 'copying': the shard being filled (not yet readable). */
  moveTo: string | null;
  /** During 'cleanup': the old home, being emptied (no longer readable). */
  moveFrom: string | null;
}

interface DirectoryRow {
  account: string;
  shard: string;
  user: string | null;
  move_state: MoveState | null;
  move_to: string | null;
  move_from: string | null;
}

const COLUMNS = "account, shard, user, move_state, move_to, move_from";

function entry(row: DirectoryRow): DirectoryEntry {
  return {
    account: row.account,
    shard: row.shard,
    user: row.user,
    moveState: row.move_state,
    moveTo: row.move_to,
    moveFrom: row.move_from,
  };
}

/** The account's entry, or null if no job has placed it yet. One catalog query. */
export async function lookupAccount(catalog: D1Database, account: string): Promise<DirectoryEntry | null> {
  const row = await catalog
    .prepare(`SELECT ${COLUMNS} FROM directory WHERE account = ?1`)
    .bind(account)
    .first<DirectoryRow>();
  return row ? entry(row) : null;
}

/** The entries of a user's accounts, in account order (one catalog query, index directory_by_user). */
export async function accountsOfUser(catalog: D1Database, user: string): Promise<DirectoryEntry[]> {
  const { results } = await catalog
    .prepare(`SELECT ${COLUMNS} FROM directory WHERE user = ?1 ORDER BY account`)
    .bind(user)
    .all<DirectoryRow>();
  return results.map(entry);
}

/** Accounts in the middle of a move: few, and read by every cross-shard query (index directory_moving). */
export async function movingAccounts(catalog: D1Database): Promise<DirectoryEntry[]> {
  const { results } = await catalog
    .prepare(`SELECT ${COLUMNS} FROM directory WHERE move_state IS NOT NULL`)
    .all<DirectoryRow>();
  return results.map(entry);
}

/**
 * For a cross-shard read: per shard, the accounts whose rows there must be skipped because that
 * shard is not their home right now (the target of a copy in progress, or the old home being
 * emptied). Every other row a shard holds belongs to an account it is home to.
 */
export function notHomeByShard(moving: readonly DirectoryEntry[]): Map<string, string[]> {
  const skip = new Map<string, string[]>();
  const add = (shard: string | null, account: string) => {
    if (!shard) return;
    skip.set(shard, [...(skip.get(shard) ?? []), account]);
  };
  for (const m of moving) {
    if (m.moveState === "copying") add(m.moveTo, m.account);
    if (m.moveState === "cleanup") add(m.moveFrom, m.account);
  }
  return skip;
}

/**
 * Records `account` in `shard` unless another writer placed it first; returns the entry that won.
 * One batch (one transaction): the insert, the shard's placement count (only if this call placed
 * it, so the next new accounts see its headroom shrink before the cron measures it again), and the
 * read back, so two consumers placing the same new account at once agree on one shard.
 */
export async function recordPlacement(
  catalog: D1Database,
  account: string,
  user: string | null,
  shard: string,
  nowMs: number,
): Promise<DirectoryEntry> {
  const results = await catalog.batch<DirectoryRow>([
    catalog
      .prepare("INSERT INTO directory (account, shard, user, placed_ms) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")
      .bind(account, shard, user, nowMs),
    catalog
      .prepare(
        `INSERT INTO shards (name, placed) SELECT ?1, 1 WHERE changes() > 0
         ON CONFLICT (name) DO UPDATE SET placed = shards.placed + 1`,
      )
      .bind(shard),
    // A job without a user (cron, redrive) may place the account; the first webhook's user fills it.
    catalog
      .prepare("UPDATE directory SET user = ?2 WHERE account = ?1 AND user IS NULL AND ?2 IS NOT NULL")
      .bind(account, user),
    catalog.prepare(`SELECT ${COLUMNS} FROM directory WHERE account = ?1`).bind(account),
  ]);
  const row = results.at(-1)?.results[0];
  if (!row) throw new Error(`directory: placing account ${account} left no row`);
  return entry(row);
}
