/**
 * Migration 0003 lowercases the Argyle IDs already stored (before, an uppercase ID from a webhook
 * made rows no lowercase lookup found), keeps one row per ID when the same ID was stored in two
 * cases, and leaves each gig's stored object byte-exact.
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, type LocalD1 } from "../../scripts/lib/common/migrations.ts";
import { ROOT } from "../../scripts/lib/common/stack.ts";

const A = "0187c66e-e7e5-811c-b006-2232f00f426a";
const U = "018051aa-f7a9-a0db-2f38-6cfa325e9d69";
const G1 = "0187dbfa-6f5e-a33a-af26-7e12ff408fea";
const G2 = "0187b43a-35fa-56e2-1a95-f7e4232a4b3a";
const G3 = "0190c0de-0000-7000-8000-000000000003";
const up = (s: string) => s.toUpperCase();

let mf: Miniflare;
let db: LocalD1;
let before: string;

beforeAll(async () => {
  mf = new Miniflare({
    ...convertV4MiniflareOptions({
      modules: true,
      script: "export default { fetch() { return new Response(null, { status: 204 }); } }",
      d1Databases: ["DB"],
    }),
    enableDevRegistry: false,
  });
  db = await mf.getD1Database("DB");
  // The schema as it was before 0003: its predecessors only.
  before = await mkdtemp(path.join(tmpdir(), "migrations-"));
  for (const file of ["0001_initial.sql", "0002_backfill_guards.sql"]) {
    await cp(path.join(ROOT, "migrations", file), path.join(before, file));
  }
  await applyMigrations(db, before);

  const gig = (id: string, account: string, syncedMs: number, data: string | null, removed: string | null = null) =>
    db
      .prepare(
        "INSERT INTO gigs (id, account, user, start_ms, data, synced_ms, removed_at) VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6)",
      )
      .bind(id, account, up(U), data, syncedMs, removed);
  await db.batch([
    // Only uppercase: lowercased, object untouched.
    gig(up(G1), up(A), 100, `{"id":"${up(G1)}"}`),
    // Twice, the uppercase tombstone newer: the tombstone is kept (the newest observation).
    gig(G2, A, 100, `{"id":"${G2}"}`),
    gig(up(G2), A, 200, null, "2024-01-01T00:00:00Z"),
    // Three cases at the same time: the lowercase row is kept.
    gig(G3, A, 300, `{"id":"lower"}`),
    gig(up(G3), A, 300, `{"id":"upper"}`),
    gig(`${G3.slice(0, 6)}${up(G3.slice(6))}`, A, 300, `{"id":"mixed"}`),
    db
      .prepare("INSERT INTO accounts (id, user, available_count, last_webhook_at) VALUES (?1, ?2, ?3, ?4)")
      .bind(A, U, 10, "2024-01-01T00:00:00Z"),
    db
      .prepare("INSERT INTO accounts (id, user, available_count, last_webhook_at) VALUES (?1, ?2, ?3, ?4)")
      .bind(up(A), up(U), 20, "2024-02-01T00:00:00Z"),
    db.prepare(
      `INSERT INTO event_bodies (sha256, body, first_received_at) VALUES ('x', X'00', '2024-01-01T00:00:00Z')`,
    ),
    db
      .prepare(
        `INSERT INTO events (id, received_at, account, user, status, body_sha256, body_bytes)
         VALUES ('e1', '2024-01-01T00:00:00Z', ?1, ?2, 'accepted', 'x', 1)`,
      )
      .bind(up(A), up(U)),
    db
      .prepare(
        `INSERT INTO failures (id, created_at, job_id, kind, account, job, reason, attempts)
         VALUES ('f1', '2024-01-01T00:00:00Z', 'j1', 'fetch_gigs', ?1, '{}', 'transient', 1)`,
      )
      .bind(up(A)),
  ]);
  const applied = await applyMigrations(db, path.join(ROOT, "migrations"));
  expect(applied).toContain("0003_lowercase_ids_newest_first.sql");
});

afterAll(async () => {
  await mf.dispose();
  await rm(before, { recursive: true, force: true });
});

describe("migration 0003", () => {
  it("lowercases gig keys, keeps the newest observation of an ID stored in two cases, and each object's text", async () => {
    const { results } = await db
      .prepare("SELECT id, account, user, data, synced_ms, removed_at FROM gigs ORDER BY id")
      .all();
    expect(results).toEqual([
      { id: G2, account: A, user: U, data: null, synced_ms: 200, removed_at: "2024-01-01T00:00:00Z" },
      { id: G1, account: A, user: U, data: `{"id":"${up(G1)}"}`, synced_ms: 100, removed_at: null },
      { id: G3, account: A, user: U, data: `{"id":"lower"}`, synced_ms: 300, removed_at: null },
    ]);
  });

  it("keeps the account row with the newest webhook, lowercased", async () => {
    const { results } = await db.prepare("SELECT id, user, available_count FROM accounts").all();
    expect(results).toEqual([{ id: A, user: U, available_count: 20 }]);
  });

  it("lowercases the account and user of events and failures", async () => {
    expect(await db.prepare("SELECT account, user FROM events").first()).toEqual({ account: A, user: U });
    expect(await db.prepare("SELECT account FROM failures").first()).toEqual({ account: A });
  });
});
