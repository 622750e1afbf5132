/**
 * One account's summary where it lives: the directory names its home shard (one catalog query),
 * which answers its sync state and gig counts, while the catalog answers its open failures (one
 * round trip, both at once). The answer says which shard holds it, and the move under way if any.
 * @module
 */
import type { AccountListRequest } from "../ops-list-params.ts";
import { type AccountSummary, getAccount, listAccounts } from "../storage/accounts-read.ts";
import { shardDb } from "./bindings.ts";
import { type DirectoryEntry, lookupAccount, type MoveState } from "./directory.ts";
import { allShardsAndMoves } from "./read-scope.ts";

/** A move in progress: reads go to `shard` throughout; `from` → `to` is the move's direction. */
export interface AccountMove {
  state: MoveState;
  from: string | null;
  to: string | null;
}

export type AccountDetail = AccountSummary & { move: AccountMove | null };

export function moveOf(entry: DirectoryEntry): AccountMove | null {
  if (entry.moveState === "copying") return { state: "copying", from: entry.shard, to: entry.moveTo };
  if (entry.moveState === "cleanup") return { state: "cleanup", from: entry.moveFrom, to: entry.shard };
  return null;
}

/** The account's summary from its home shard, or null if the directory does not know it (or it is purged). */
export async function readAccount(env: object, catalog: D1Database, id: string): Promise<AccountDetail | null> {
  const entry = await lookupAccount(catalog, id);
  return entry && accountAt(env, catalog, entry);
}

/** The summary of the account `entry` places (one round trip: its shard and the catalog at once). */
export async function accountAt(
  env: object,
  catalog: D1Database,
  entry: DirectoryEntry,
): Promise<AccountDetail | null> {
  const summary = await getAccount(catalog, { name: entry.shard, db: shardDb(env, entry.shard) }, entry.account);
  return summary && { ...summary, move: moveOf(entry) };
}

/**
 * A page of accounts across every shard, in id order, each with its shard and move: one catalog
 * round trip (moving accounts, legacy check), the shards at once, then the page's open failures.
 */
export async function listAccountsAcross(
  env: object,
  catalog: D1Database,
  request: AccountListRequest,
): Promise<{ rows: AccountDetail[]; hasMore: boolean }> {
  const { targets, moving } = await allShardsAndMoves(env, catalog);
  const page = await listAccounts(catalog, targets, request);
  const moves = new Map(moving.map((entry) => [entry.account, moveOf(entry)]));
  return { rows: page.rows.map((row) => ({ ...row, move: moves.get(row.id) ?? null })), hasMore: page.hasMore };
}
