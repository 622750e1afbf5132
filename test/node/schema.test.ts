/**
 * schema.sql is the readable, complete schema; migrations/ is what wrangler applies. Applying
 * every migration to an empty database must yield exactly what schema.sql creates.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_splitSqlQuery } from "wrangler";
import { applyMigrations, type LocalD1 } from "../../scripts/lib/common/migrations.ts";
import { ROOT } from "../../scripts/lib/common/stack.ts";

let mf: Miniflare;
let fromMigrations: LocalD1;
let fromSchema: LocalD1;

beforeAll(async () => {
  mf = new Miniflare({
    ...convertV4MiniflareOptions({
      modules: true,
      script: "export default { fetch() { return new Response(null, { status: 204 }); } }",
      d1Databases: ["MIGRATED", "SCHEMA"],
    }),
    enableDevRegistry: false,
  });
  fromMigrations = await mf.getD1Database("MIGRATED");
  fromSchema = await mf.getD1Database("SCHEMA");
});

afterAll(() => mf.dispose());

/** Every table and index, with its SQL normalised (comments and layout removed). */
async function objects(db: LocalD1) {
  const { results } = await db
    .prepare(
      `SELECT type, name, tbl_name, sql FROM sqlite_master
       WHERE name NOT LIKE 'sqlite_%' AND name NOT IN ('d1_migrations', '_cf_KV', '_cf_METADATA') ORDER BY type, name`,
    )
    .all<{ type: string; name: string; tbl_name: string; sql: string | null }>();
  return results.map((r) => ({
    ...r,
    sql: (r.sql ?? "")
      .replace(/--[^\n]*/g, "")
      .replace(/\s+/g, " ")
      .replace(/\s*([(),])\s*/g, "$1")
      .trim(),
  }));
}

describe("schema.sql and migrations/", () => {
  it("applying the migrations yields exactly schema.sql", async () => {
    const applied = await applyMigrations(fromMigrations, path.join(ROOT, "migrations"));
    expect(applied.length).toBeGreaterThan(0);
    const schema = unstable_splitSqlQuery(await readFile(path.join(ROOT, "schema.sql"), "utf8"));
    await fromSchema.batch(schema.map((sql) => fromSchema.prepare(sql)));

    const expected = await objects(fromSchema);
    expect(expected.map((o) => o.name)).toEqual(expect.arrayContaining(["events", "gigs", "accounts", "failures"]));
    expect(await objects(fromMigrations)).toEqual(expected);
  });

  it("re-applying migrations is a no-op (the dev runner applies them on every start)", async () => {
    expect(await applyMigrations(fromMigrations, path.join(ROOT, "migrations"))).toEqual([]);
  });
});
