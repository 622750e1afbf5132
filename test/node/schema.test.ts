/**
 * Each database role has a readable, complete schema and a migrations folder wrangler applies:
 * the catalog (schema.sql ⇔ migrations/) and every gig shard (schema.shard.sql ⇔
 * migrations-shard/). Applying a folder's migrations to an empty database must yield exactly its
 * schema file. And because the catalog serves accounts stored before sharding as shard "DB", every
 * shard table and index must exist in the catalog with the same definition: shard code then runs
 * unchanged against either.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_splitSqlQuery } from "wrangler";
import { applyMigrations, type LocalD1 } from "../../scripts/lib/common/migrations.ts";
import { ROOT } from "../../scripts/lib/common/stack.ts";

let mf: Miniflare;
const dbs: Record<string, LocalD1> = {};
const NAMES = ["CATALOG_MIGRATED", "CATALOG_SCHEMA", "SHARD_MIGRATED", "SHARD_SCHEMA"] as const;

beforeAll(async () => {
  mf = new Miniflare({
    ...convertV4MiniflareOptions({
      modules: true,
      script: "export default { fetch() { return new Response(null, { status: 204 }); } }",
      d1Databases: [...NAMES],
    }),
    enableDevRegistry: false,
  });
  for (const name of NAMES) dbs[name] = await mf.getD1Database(name);
  await loadSchema(dbs.CATALOG_SCHEMA as LocalD1, "schema.sql");
  await loadSchema(dbs.SHARD_SCHEMA as LocalD1, "schema.shard.sql");
});

afterAll(() => mf.dispose());

type DbObject = { type: string; name: string; tbl_name: string; sql: string };

/** Every table, index and trigger, with its SQL normalised (comments and layout removed). */
async function objects(db: LocalD1): Promise<DbObject[]> {
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

async function loadSchema(db: LocalD1, file: string): Promise<void> {
  const statements = unstable_splitSqlQuery(await readFile(path.join(ROOT, file), "utf8"));
  await db.batch(statements.map((sql) => db.prepare(sql)));
}

const roles = [
  {
    role: "catalog",
    folder: "migrations",
    schema: "schema.sql",
    migrated: "CATALOG_MIGRATED",
    fromSchema: "CATALOG_SCHEMA",
    tables: ["events", "gigs", "accounts", "failures", "directory", "shards", "account_fences"],
  },
  {
    role: "gig shard",
    folder: "migrations-shard",
    schema: "schema.shard.sql",
    migrated: "SHARD_MIGRATED",
    fromSchema: "SHARD_SCHEMA",
    tables: ["gigs", "accounts", "purged_accounts", "account_fences"],
  },
] as const;

describe.each(roles)("$schema and $folder/ ($role)", ({ folder, migrated, fromSchema, tables }) => {
  it("applying the migrations yields exactly the schema file", async () => {
    const applied = await applyMigrations(dbs[migrated] as LocalD1, path.join(ROOT, folder));
    expect(applied.length).toBeGreaterThan(0);

    const expected = await objects(dbs[fromSchema] as LocalD1);
    expect(expected.map((o) => o.name)).toEqual(expect.arrayContaining([...tables]));
    expect(await objects(dbs[migrated] as LocalD1)).toEqual(expected);
  });

  it("re-applying the migrations is a no-op (the dev runner applies them on every start)", async () => {
    expect(await applyMigrations(dbs[migrated] as LocalD1, path.join(ROOT, folder))).toEqual([]);
  });
});

describe("the catalog as legacy shard DB", () => {
  it("has every table and index of schema.shard.sql, with identical definitions", async () => {
    const shard = await objects(dbs.SHARD_SCHEMA as LocalD1);
    const catalog = new Map((await objects(dbs.CATALOG_SCHEMA as LocalD1)).map((o) => [`${o.type} ${o.name}`, o]));
    const needed = shard.filter((o) => o.type === "table" || o.type === "index");
    expect(needed.length).toBeGreaterThan(10);
    const mismatched = needed
      .filter((o) => catalog.get(`${o.type} ${o.name}`)?.sql !== o.sql)
      .map((o) => ({
        object: `${o.type} ${o.name}`,
        shard: o.sql,
        catalog: catalog.get(`${o.type} ${o.name}`)?.sql ?? null,
      }));
    expect(mismatched).toEqual([]);
  });
});
