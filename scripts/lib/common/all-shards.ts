/**
 * Node-side reads of gig rows across every database that can hold them: the catalog's legacy
 * `gigs`/`accounts` tables (accounts stored before sharding, served as shard "DB") and every
 * SHARD_n. Reading all of them is right both before the consumer writes to shards (everything is
 * in the catalog) and after (each account is in exactly one of them), so checks written against it
 * never depend on where an account was placed.
 * @module
 */
import type { LocalD1 } from "./migrations.ts";

export interface GigDatabases {
  /** The catalog (binding DB). */
  db: LocalD1;
  /** Every gig shard by binding name (SHARD_1, SHARD_2, …). */
  shards: Record<string, LocalD1>;
}

/** The catalog first, then the shards in numeric order. */
export function gigDatabases(stack: GigDatabases): LocalD1[] {
  const names = Object.keys(stack.shards).sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  return [stack.db, ...names.map((name) => stack.shards[name] as LocalD1)];
}

/** The rows `sql` returns on every database, concatenated (a UNION ALL), queried in parallel. */
export async function gigRows<T>(stack: GigDatabases, sql: string, ...params: unknown[]): Promise<T[]> {
  const results = await Promise.all(
    gigDatabases(stack).map(
      async (db) =>
        (
          await db
            .prepare(sql)
            .bind(...params)
            .all<T>()
        ).results,
    ),
  );
  return results.flat();
}

/** The sum over every database of `sql`'s `n` column, e.g. `SELECT COUNT(*) AS n FROM gigs WHERE …`. */
export async function gigCount(stack: GigDatabases, sql: string, ...params: unknown[]): Promise<number> {
  const rows = await gigRows<{ n: number | null }>(stack, sql, ...params);
  return rows.reduce((sum, row) => sum + (row.n ?? 0), 0);
}
