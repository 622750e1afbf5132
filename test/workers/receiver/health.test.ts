/**
 * GET /health proves every database holds the schema this code needs, not only that D1 answers:
 * the catalog (DB) its newest migration, each gig shard (SHARD_n) the newest shard migration. A
 * database behind (a fresh one, a Worker deployed before its migrations, a shard added to the
 * config but never migrated) is 503 `unhealthy` and named; a database that does not answer is 503
 * `unavailable` and named.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { NEWEST_MIGRATION, NEWEST_SHARD_MIGRATION } from "../../../src/domain/schema-version.ts";
import { shardNames } from "../../../src/domain/shards/bindings.ts";
import { callReceiver } from "../helpers.ts";

interface MigrationRow {
  id: number;
  name: string;
  applied_at: string;
}

const health = (overrides: Parameters<typeof callReceiver>[1] = {}) =>
  callReceiver(new Request("https://receiver.test/health"), overrides);

/** The migration logs as they were, put back after each test so other tests see migrated databases. */
const saved = new Map<D1Database, MigrationRow[]>();

async function saveMigrationLog(db: D1Database): Promise<MigrationRow[]> {
  const rows = (await db.prepare("SELECT id, name, applied_at FROM d1_migrations ORDER BY id").all<MigrationRow>())
    .results;
  saved.set(db, rows);
  return rows;
}

afterEach(async () => {
  for (const [db, rows] of saved) {
    await db
      .prepare(
        `CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE,
         applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
      )
      .run();
    await db.batch([
      db.prepare("DELETE FROM d1_migrations"),
      ...rows.map((r) =>
        db
          .prepare("INSERT INTO d1_migrations (id, name, applied_at) VALUES (?1, ?2, ?3)")
          .bind(r.id, r.name, r.applied_at),
      ),
    ]);
  }
  saved.clear();
});

/** A D1 binding that fails every call, as an unreachable or overloaded database does. */
const unreachable = {
  prepare() {
    throw new Error("D1_ERROR: Network connection lost.");
  },
} as unknown as D1Database;

describe("GET /health", () => {
  it("is 200 and names the applied migration of the catalog and of every shard", async () => {
    const res = await health();
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: "ok",
      migration: NEWEST_MIGRATION,
      databases: { DB: NEWEST_MIGRATION, SHARD_1: NEWEST_SHARD_MIGRATION, SHARD_2: NEWEST_SHARD_MIGRATION },
    });
  });

  it("is 503 on a catalog no migration has touched (no d1_migrations table)", async () => {
    await saveMigrationLog(env.DB);
    await env.DB.prepare("DROP TABLE d1_migrations").run();
    const res = await health();
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("30");
    expect(await res.json()).toEqual({
      error: { code: "unhealthy", message: "The database schema is not ready: DB: no migration is applied." },
      behind: ["DB"],
      expected: { DB: NEWEST_MIGRATION },
      databases: { DB: null, ...Object.fromEntries(shardNames(env).map((n) => [n, NEWEST_SHARD_MIGRATION])) },
    });
  });

  it("is 503 when the catalog's newest migration is missing, and names the one applied", async () => {
    const rows = await saveMigrationLog(env.DB);
    const older = rows.filter((r) => r.name !== NEWEST_MIGRATION).at(-1)?.name;
    expect(older).toBeDefined();
    await env.DB.prepare("DELETE FROM d1_migrations WHERE name = ?1").bind(NEWEST_MIGRATION).run();
    const res = await health();
    expect(res.status).toBe(503);
    const body = await res.json<{ error: { message: string }; databases: Record<string, string | null> }>();
    expect(body.databases.DB).toBe(older);
    expect(body.error.message).toBe(
      `The database schema is not ready: DB: migration ${NEWEST_MIGRATION} is not applied (newest applied: ${older}).`,
    );
  });

  it("is 503 unhealthy naming a shard that was never migrated, while the catalog is current", async () => {
    await saveMigrationLog(env.SHARD_2 as D1Database);
    await (env.SHARD_2 as D1Database).prepare("DROP TABLE d1_migrations").run();
    const res = await health();
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("30");
    expect(await res.json()).toEqual({
      error: { code: "unhealthy", message: "The database schema is not ready: SHARD_2: no migration is applied." },
      behind: ["SHARD_2"],
      expected: { SHARD_2: NEWEST_SHARD_MIGRATION },
      databases: {
        DB: NEWEST_MIGRATION,
        ...Object.fromEntries(shardNames(env).map((n) => [n, NEWEST_SHARD_MIGRATION])),
        SHARD_2: null,
      },
    });
  });

  it("checks a shard against the shard migrations, not the catalog's", async () => {
    // A shard that somehow recorded the catalog's newest name is still behind on its own schema.
    const rows = await saveMigrationLog(env.SHARD_1 as D1Database);
    expect(rows.map((r) => r.name)).toEqual([NEWEST_SHARD_MIGRATION]);
    await (env.SHARD_1 as D1Database).batch([
      (env.SHARD_1 as D1Database).prepare("DELETE FROM d1_migrations"),
      (env.SHARD_1 as D1Database).prepare("INSERT INTO d1_migrations (name) VALUES (?1)").bind(NEWEST_MIGRATION),
    ]);
    const res = await health();
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ behind: ["SHARD_1"], databases: { SHARD_1: NEWEST_MIGRATION } });
  });

  it("is 503 unavailable naming a shard that does not answer", async () => {
    const res = await health({ SHARD_2: unreachable });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("30");
    expect(await res.json()).toEqual({
      error: { code: "unavailable", message: "Database SHARD_2 is unreachable." },
      unreachable: ["SHARD_2"],
    });
  });

  it("is 503 unavailable naming the catalog when it does not answer", async () => {
    const res = await health({ DB: unreachable, SHARD_1: unreachable });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: { code: "unavailable", message: "Databases DB, SHARD_1 are unreachable." },
      unreachable: ["DB", "SHARD_1"],
    });
  });
});
