/**
 * Where a new account goes: the open shard with the most headroom. Headroom is judged from the
 * catalog's `shards` table alone (no shard is queried on this path): the size the cron last
 * measured plus a typical account's size for each account placed since. Existing accounts never
 * move by themselves; a shard whose row says 'closed' takes no new ones.
 * @module
 */
import { CATALOG_SHARD, shardNames } from "./bindings.ts";

/**
 * Bytes a typical account adds: 5,000 gigs at the measured ~4,240 bytes each (SCALING.md). Only
 * used to spread new accounts between size measurements; the measurement corrects it.
 */
export const TYPICAL_ACCOUNT_BYTES = 5_000 * 4_240;

export interface ShardRow {
  name: string;
  status: "open" | "closed";
  size_bytes: number;
  placed: number;
}

/** Every shard's row (few: one per database). */
export async function readShardRows(catalog: D1Database): Promise<ShardRow[]> {
  const { results } = await catalog.prepare("SELECT name, status, size_bytes, placed FROM shards").all<ShardRow>();
  return results;
}

/**
 * The shard for a new account among the bound shards, or null when none is open. Ties go to the
 * lower-numbered shard, so placement is deterministic for a given catalog state.
 */
export function chooseShard(bound: readonly string[], rows: readonly ShardRow[]): string | null {
  const byName = new Map(rows.map((r) => [r.name, r]));
  let best: { name: string; load: number } | null = null;
  for (const name of bound) {
    if (name === CATALOG_SHARD) continue;
    const row = byName.get(name);
    if (row?.status === "closed") continue;
    const load = (row?.size_bytes ?? 0) + (row?.placed ?? 0) * TYPICAL_ACCOUNT_BYTES;
    if (!best || load < best.load) best = { name, load };
  }
  return best?.name ?? null;
}

/** The shard for a new account in this Worker's env (see `chooseShard`). */
export async function pickShardFor(env: object, catalog: D1Database): Promise<string | null> {
  return chooseShard(shardNames(env), await readShardRows(catalog));
}
