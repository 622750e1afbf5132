/**
 * Gig-shard test kit for the consumer project's lifecycle tests (shards migrated by
 * apply-migrations.ts): place accounts in the directory, seed gigs on a shard, count rows there.
 */
import { env } from "cloudflare:workers";
import { shardDb } from "../../../src/domain/shards/bindings.ts";

export type ShardName = `SHARD_${number}`;

/** The shard's database (fails clearly for a shard the test project does not bind). */
export function shard(name: ShardName): D1Database {
  return shardDb(env, name);
}

/** Writes the account's directory entry (a move in progress with `move`). */
export async function place(
  account: string,
  home: ShardName | "DB",
  options: {
    user?: string | null;
    move?: { state: "copying"; to: ShardName } | { state: "cleanup"; from: ShardName };
  } = {},
): Promise<void> {
  const move = options.move;
  await env.DB.prepare(
    `INSERT INTO directory (account, shard, user, placed_ms, move_state, move_to, move_from)
     VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6)`,
  )
    .bind(
      account,
      home,
      options.user ?? null,
      move?.state ?? null,
      move?.state === "copying" ? move.to : null,
      move?.state === "cleanup" ? move.from : null,
    )
    .run();
}

/** Inserts `total` gigs of `account` straight into `db` (45 rows a statement: D1's 100-parameter limit). */
export async function seedGigs(db: D1Database, account: string, total: number, prefix = "0ccc0000"): Promise<void> {
  const rows = 45;
  const inserts: D1PreparedStatement[] = [];
  for (let i = 0; i < total; i += rows) {
    const n = Math.min(rows, total - i);
    const values = Array.from({ length: n }, (_, k) => {
      const hex = (i + k).toString(16).padStart(12, "0");
      return `('${prefix}-0000-4000-8000-${hex}', '${account}', 1, '{"id":1}')`;
    });
    inserts.push(db.prepare(`INSERT INTO gigs (id, account, synced_ms, data) VALUES ${values.join(", ")}`));
  }
  for (let i = 0; i < inserts.length; i += 200) await db.batch(inserts.slice(i, i + 200));
}

export async function countIn(db: D1Database, sql: string, ...params: unknown[]): Promise<number> {
  const row = await db
    .prepare(`SELECT COUNT(*) AS n FROM ${sql}`)
    .bind(...params)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
