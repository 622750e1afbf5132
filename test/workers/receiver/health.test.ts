/**
 * GET /health proves the schema is there, not only that D1 answers: on a database without the
 * newest migration (a fresh one, or a Worker deployed before its migrations) it is 503 and says
 * why, where it used to say 200 while the first webhook then failed on a missing table.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { NEWEST_MIGRATION } from "../../../src/domain/schema-version.ts";
import { callReceiver } from "../helpers.ts";

interface MigrationRow {
  id: number;
  name: string;
  applied_at: string;
}

const health = () => callReceiver(new Request("https://receiver.test/health"));

/** The migration log as it was, put back after each test so other tests see a migrated database. */
let saved: MigrationRow[] | null = null;

async function saveMigrationLog(): Promise<void> {
  saved = (await env.DB.prepare("SELECT id, name, applied_at FROM d1_migrations ORDER BY id").all<MigrationRow>())
    .results;
}

afterEach(async () => {
  if (saved === null) return;
  await env.DB.prepare(
    `CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE,
     applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
  ).run();
  await env.DB.batch([
    env.DB.prepare("DELETE FROM d1_migrations"),
    ...saved.map((r) =>
      env.DB.prepare("INSERT INTO d1_migrations (id, name, applied_at) VALUES (?1, ?2, ?3)").bind(
        r.id,
        r.name,
        r.applied_at,
      ),
    ),
  ]);
  saved = null;
});

describe("GET /health", () => {
  it("is 200 and names the newest migration when it is applied", async () => {
    const res = await health();
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", migration: NEWEST_MIGRATION });
  });

  it("is 503 on a database no migration has touched (no d1_migrations table)", async () => {
    await saveMigrationLog();
    await env.DB.prepare("DROP TABLE d1_migrations").run();
    const res = await health();
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("30");
    expect(await res.json()).toEqual({
      error: { code: "unhealthy", message: "The database schema is not ready: no migration is applied." },
      expected_migration: NEWEST_MIGRATION,
      applied_migration: null,
    });
  });

  it("is 503 when the newest migration is missing, and names the one applied", async () => {
    await saveMigrationLog();
    const older = saved?.filter((r) => r.name !== NEWEST_MIGRATION).at(-1)?.name;
    expect(older).toBeDefined();
    await env.DB.prepare("DELETE FROM d1_migrations WHERE name = ?1").bind(NEWEST_MIGRATION).run();
    const res = await health();
    expect(res.status).toBe(503);
    const body = await res.json<{ error: { message: string }; applied_migration: string }>();
    expect(body.applied_migration).toBe(older);
    expect(body.error.message).toBe(
      `The database schema is not ready: migration ${NEWEST_MIGRATION} is not applied (newest applied: ${older}).`,
    );
  });
});
