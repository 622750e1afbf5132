/**
 * Row-level helpers of an account move: reading an account's rows from one shard and writing them
 * verbatim to another, within D1's limits (100 bound parameters per statement). Columns are taken
 * from the rows themselves, so a column a later shard migration adds is copied without a code
 * change (both shards run the same migrations).
 * @module
 */
import { notPurgedSql } from "../lifecycle/purged.ts";
import { MAX_PARAMS } from "../storage/gigs.ts";

/** A row exactly as D1 returned it. */
export type Row = Record<string, unknown>;

const COLUMN = /^[a-z_][a-z0-9_]*$/;

/** The column names of `row`, checked before they are written into SQL. */
export function columnsOf(row: Row): string[] {
  const columns = Object.keys(row);
  for (const c of columns) if (!COLUMN.test(c)) throw new Error(`move: unexpected column name ${JSON.stringify(c)}`);
  return columns;
}

/**
 * Statements writing `rows` (all with the same columns) into `table` of `db`, replacing any row
 * with the same key, as multi-row inserts of at most 100 bound parameters each. Nothing is written
 * if the account is purged there: a purge that started mid-move must not be undone by the copy.
 */
export function replaceRowsStatements(
  db: D1Database,
  table: "gigs" | "accounts",
  account: string,
  rows: readonly Row[],
): D1PreparedStatement[] {
  const first = rows[0];
  if (!first) return [];
  const columns = columnsOf(first);
  // One parameter goes to the account (purge and fence checks).
  const perStatement = Math.max(1, Math.floor((MAX_PARAMS - 1) / columns.length));
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    let n = 1;
    const tuples = chunk.map(() => `(${columns.map(() => `?${++n}`).join(", ")})`);
    const selected = columns.map((_, k) => `column${k + 1}`).join(", ");
    statements.push(
      db
        .prepare(
          `INSERT OR REPLACE INTO ${table} (${columns.join(", ")})
           SELECT ${selected} FROM (VALUES ${tuples.join(", ")})
           WHERE ${notPurgedSql("?1")}
             AND EXISTS (SELECT 1 FROM account_fences f WHERE f.account = ?1 AND f.reason = 'moving')`,
        )
        .bind(account, ...chunk.flatMap((row) => columns.map((c) => row[c] ?? null))),
    );
  }
  return statements;
}

/** The account's gigs after `after` in id order (index gigs_by_account_id), every column. */
export function gigPageStatement(db: D1Database, account: string, after: string, limit: number): D1PreparedStatement {
  return db
    .prepare("SELECT * FROM gigs WHERE account = ?1 AND id > ?2 ORDER BY id LIMIT ?3")
    .bind(account, after, limit);
}

/** The account's sync-state row, every column. */
export function accountRowStatement(db: D1Database, account: string): D1PreparedStatement {
  return db.prepare("SELECT * FROM accounts WHERE id = ?1").bind(account);
}

/**
 * The first difference between two rows (same columns, same values, exactly), or null. The values
 * are compared whole, data included: exact equality is the cheapest checksum D1 offers (it has no
 * hash function), and a verify reads each page once per shard.
 */
export function rowDifference(a: Row | undefined, b: Row | undefined): string | null {
  if (!a || !b) return a ? "missing on the target" : b ? "extra on the target" : null;
  const columns = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const c of columns) {
    if ((a[c] ?? null) !== (b[c] ?? null)) return `column ${c} differs`;
  }
  return null;
}

/** The first difference between two id-ordered pages, naming the row, or null. */
export function pageDifference(a: readonly Row[], b: readonly Row[]): string | null {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const diff = rowDifference(a[i], b[i]);
    if (diff) return `gig ${String(a[i]?.id ?? b[i]?.id)}: ${diff}`;
  }
  return null;
}
