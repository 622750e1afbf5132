/**
 * Account-move test kit: an account seeded on a shard (gigs, tombstones, its accounts row) and
 * reads that follow the directory, as every read path does.
 */
import { env } from "cloudflare:workers";
import * as v from "valibot";
import { GigSchema } from "../../src/domain/gig-schema.ts";
import { shardDb } from "../../src/domain/shards/bindings.ts";
import { lookupAccount, recordPlacement } from "../../src/domain/shards/directory.ts";
import { upsertGigStatements } from "../../src/domain/storage/gigs.ts";
import gigFixture from "../fixtures/gig.json";
import { gigIds } from "./helpers.ts";

export const MOVE_ACCOUNT = "0187c66e-e7e5-811c-b006-2232f00f4001";
export const OTHER_ACCOUNT = "0187c66e-e7e5-811c-b006-2232f00f4002";
export const MOVE_USER = "0187c66e-e7e5-811c-b006-2232f00f40aa";
/**
 * Places `account` on `shard` with `count` gigs (every fifth a tombstone, every tenth a tombstone
 * never fetched: data NULL) and an accounts row; returns the gig ids.
 */
export async function seedAccount(account: string, shard: string, count: number, prefix = "0191"): Promise<string[]> {
  await recordPlacement(env.DB, account, MOVE_USER, shard, Date.now());
  const db = shardDb(env, shard);
  const ids = gigIds(count, prefix);
  const statements = ids.map((id, i) => {
    const removed = i % 5 === 0 ? "2026-11-01T00:00:00Z" : null;
    const data = i % 10 === 0 ? null : JSON.stringify({ id, account, status: "completed", pay: { total: `${i}.50` } });
    return db
      .prepare(
        `INSERT INTO gigs (id, account, user, employer, status, type, start_datetime, start_ms, updated_at, updated_ms,
           data, synced_ms, fetched_at, removed_at)
         VALUES (?1, ?2, ?3, 'uber', 'completed', 'rideshare', ?4, ?5, ?4, ?5, ?6, ?7, ?4, ?8)`,
      )
      .bind(
        id,
        account,
        MOVE_USER,
        new Date(1_700_000_000_000 + i * 60_000).toISOString(),
        1_700_000_000_000 + i * 60_000,
        data,
        1_760_000_000_000 + i,
        removed,
      );
  });
  for (let i = 0; i < statements.length; i += 200) await db.batch(statements.slice(i, i + 200));
  await db
    .prepare(
      `INSERT INTO accounts (id, user, available_count, last_webhook_at, backfill_status, backfill_pages, backfill_gigs)
       VALUES (?1, ?2, ?3, '2026-11-20T00:00:00Z', 'done', 3, ?3)`,
    )
    .bind(account, MOVE_USER, count)
    .run();
  return ids;
}

/** What a reader sees of the account: its gigs and accounts row from the shard the directory names. */
export async function readThroughDirectory(account: string) {
  const entry = await lookupAccount(env.DB, account);
  if (!entry) return null;
  const db = shardDb(env, entry.shard);
  const { results: gigs } = await db
    .prepare("SELECT * FROM gigs WHERE account = ?1 ORDER BY id")
    .bind(account)
    .all<Record<string, unknown>>();
  const state = await db.prepare("SELECT * FROM accounts WHERE id = ?1").bind(account).first();
  return { gigs, state };
}

/** Rows of `account` a shard holds (gigs, accounts row) and its fence there. */
export async function shardHolds(shard: string, account: string) {
  const db = shardDb(env, shard);
  const gigs = await db
    .prepare("SELECT COUNT(*) AS n FROM gigs WHERE account = ?1")
    .bind(account)
    .first<{ n: number }>();
  const state = await db
    .prepare("SELECT COUNT(*) AS n FROM accounts WHERE id = ?1")
    .bind(account)
    .first<{ n: number }>();
  const fence = await db
    .prepare("SELECT reason, shard FROM account_fences WHERE account = ?1")
    .bind(account)
    .first<{ reason: string; shard: string }>();
  return { gigs: gigs?.n ?? 0, accounts: state?.n ?? 0, fence };
}

/**
 * A fetched gig of the account stored on `shard` through the consumer's own upsert (which checks
 * the purge marker and the fence in the same statement), its stored JSON `data` if given;
 * returns the rows it changed.
 */
export async function guardedGigWrite(shard: string, account: string, id: string, data?: string): Promise<number> {
  const db = shardDb(env, shard);
  // Changed at Argyle now: newer than any stored copy, as a fetch after the move would see it.
  const gig = v.parse(GigSchema, { ...gigFixture, id, account, updated_at: new Date().toISOString() });
  const json = data ?? JSON.stringify(gig);
  const [result] = await db.batch(upsertGigStatements(db, [{ gig, json, syncedMs: Date.now() }], null));
  return result?.meta.changes ?? 0;
}
