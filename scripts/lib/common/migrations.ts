/**
 * Applies D1 migrations the way `wrangler d1 migrations apply` does: in numeric order, each
 * recorded in the `d1_migrations` table, skipping those already applied. Idempotent, so the dev
 * runner can call it on every start, and wrangler agrees with it about what is applied.
 * @module
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Miniflare } from "miniflare";
import { unstable_splitSqlQuery } from "wrangler";

/** A D1 database reached from Node through miniflare. */
export type LocalD1 = Awaited<ReturnType<Miniflare["getD1Database"]>>;

const TABLE = "d1_migrations";

export async function applyMigrations(db: LocalD1, dir: string): Promise<string[]> {
  await db
    .prepare(
      `CREATE TABLE IF NOT EXISTS ${TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE,
       applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
    )
    .run();
  const { results } = await db.prepare(`SELECT name FROM ${TABLE}`).all<{ name: string }>();
  const applied = new Set(results.map((r) => r.name));
  const files = (await readdir(dir))
    .filter((f) => /^\d+_.*\.sql$/.test(f))
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
  const newlyApplied: string[] = [];
  for (const file of files) {
    if (applied.has(file)) continue;
    const statements = unstable_splitSqlQuery(await readFile(path.join(dir, file), "utf8"));
    await db.batch([
      ...statements.map((sql) => db.prepare(sql)),
      db.prepare(`INSERT INTO ${TABLE} (name) VALUES (?1)`).bind(file),
    ]);
    newlyApplied.push(file);
  }
  return newlyApplied;
}
