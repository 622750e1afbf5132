/**
 * The cron's view of the gig shards: which databases hold accounts (every SHARD_n binding, and
 * the catalog as shard "DB" for accounts stored before sharding), per-shard work that one failing
 * shard cannot stop, and the once-a-run size measurement placement reads.
 * @module
 */
import { describeError } from "../domain/errors.ts";
import { logError } from "../domain/log.ts";
import { CATALOG_SHARD, shardDb, shardNames } from "../domain/shards/bindings.ts";

/** Databases holding accounts: the legacy shard "DB" (the catalog; its tables are empty once moved) and every SHARD_n. */
export function maintenanceShards(env: object): string[] {
  return [CATALOG_SHARD, ...shardNames(env)];
}

export interface ShardResult<T> {
  shard: string;
  db: D1Database;
  value: T;
}

/**
 * Runs `work` on every shard in turn; a shard that fails (overloaded, reset, no binding) is logged
 * and left out of the results, and the others carry on: one shard's trouble never stops another's
 * maintenance, nor the catalog's. Sequential: the cron's subrequests stay countable and each
 * database sees one query at a time from it.
 */
export async function eachShard<T>(
  env: object,
  step: string,
  work: (db: D1Database, shard: string) => Promise<T>,
): Promise<ShardResult<T>[]> {
  const results: ShardResult<T>[] = [];
  for (const shard of maintenanceShards(env)) {
    try {
      const db = shardDb(env, shard);
      results.push({ shard, db, value: await work(db, shard) });
    } catch (error) {
      logError(`maintenance step failed on a shard: ${step}`, { shard, error: describeError(error) });
    }
  }
  return results;
}

export interface ShardMeasure {
  shard: string;
  sizeBytes: number;
  migration: string | null;
}

/**
 * One cheap query per shard: the newest applied migration (one row of d1_migrations, by its
 * primary key), whose `meta.size_after` is the database's size in bytes. A shard that fails is
 * skipped (logged), its row left as it was.
 */
export async function measureShards(env: object): Promise<ShardMeasure[]> {
  const measured = await eachShard(env, "measure shard sizes", async (db, shard) => {
    const { results, meta } = await db
      .prepare("SELECT name FROM d1_migrations ORDER BY id DESC LIMIT 1")
      .all<{ name: string }>();
    return { shard, sizeBytes: meta.size_after ?? 0, migration: results[0]?.name ?? null };
  });
  return measured.map((m) => m.value);
}

/**
 * Records the measurements in the catalog's `shards` rows, one batch: size, when, the newest
 * migration, and `placed` back to 0 (the size now includes those accounts). A gig shard without
 * a row gets one (open); the catalog's legacy row "DB" is only updated, never created (readers
 * take its existence to mean legacy accounts exist).
 */
export async function recordShardSizes(catalog: D1Database, measures: ShardMeasure[], nowMs: number): Promise<void> {
  if (measures.length === 0) return;
  await catalog.batch(
    measures.map((m) =>
      m.shard === CATALOG_SHARD
        ? catalog
            .prepare("UPDATE shards SET size_bytes = ?2, measured_ms = ?3, placed = 0, migration = ?4 WHERE name = ?1")
            .bind(m.shard, m.sizeBytes, nowMs, m.migration)
        : catalog
            .prepare(
              `INSERT INTO shards (name, size_bytes, measured_ms, placed, migration) VALUES (?1, ?2, ?3, 0, ?4)
               ON CONFLICT (name) DO UPDATE SET size_bytes = excluded.size_bytes, measured_ms = excluded.measured_ms,
                 placed = 0, migration = excluded.migration`,
            )
            .bind(m.shard, m.sizeBytes, nowMs, m.migration),
    ),
  );
}
