/**
 * The operator's view of the gig shards and their open/closed switch (GET /api/shards, POST
 * /api/shards/{name}, `npm run shards`). A closed shard keeps serving and writing the accounts it
 * holds; it only takes no new ones (placement.ts), and moves into it are refused.
 * @module
 */
import { auditStatement } from "../lifecycle/audit.ts";
import { CATALOG_SHARD, shardDb, shardNames } from "./bindings.ts";

export interface ShardView {
  name: string;
  status: "open" | "closed";
  size_bytes: number;
  measured_at: string | null;
  /** Accounts the directory places there (moving ones counted at their current home). */
  accounts: number;
  /** Placed since the size was last measured. */
  placed: number;
}

interface ShardStatusRow {
  name: string;
  status: "open" | "closed";
  size_bytes: number;
  measured_ms: number | null;
  placed: number;
}

/**
 * Every gig shard bound to this Worker, plus the catalog as shard "DB" while it holds legacy
 * accounts (its `shards` row exists), each with its catalog row (a shard without one is open,
 * never measured). Two catalog queries; no shard is touched.
 */
export async function listShards(env: object): Promise<ShardView[]> {
  const catalog = shardDb(env, CATALOG_SHARD);
  const [rows, counts] = await catalog.batch([
    catalog.prepare("SELECT name, status, size_bytes, measured_ms, placed FROM shards"),
    // Index directory_by_shard covers this.
    catalog.prepare("SELECT shard AS name, COUNT(*) AS n FROM directory GROUP BY shard"),
  ]);
  const byName = new Map(((rows?.results ?? []) as ShardStatusRow[]).map((r) => [r.name, r]));
  const accounts = new Map(((counts?.results ?? []) as { name: string; n: number }[]).map((r) => [r.name, r.n]));
  const names = [...(byName.has(CATALOG_SHARD) ? [CATALOG_SHARD] : []), ...shardNames(env)];
  return names.map((name) => {
    const row = byName.get(name);
    return {
      name,
      status: row?.status ?? "open",
      size_bytes: row?.size_bytes ?? 0,
      measured_at: row?.measured_ms == null ? null : new Date(row.measured_ms).toISOString(),
      accounts: accounts.get(name) ?? 0,
      placed: row?.placed ?? 0,
    };
  });
}

/** A status change the request may not make: nothing was changed. */
export class ShardStatusRefused extends Error {
  readonly status: 404 | 409;
  readonly code: string;

  constructor(status: 404 | 409, code: string, message: string) {
    super(message);
    this.name = "ShardStatusRefused";
    this.status = status;
    this.code = code;
  }
}

/**
 * Opens or closes shard `name` (idempotent), audited in the same catalog transaction. Refused: a
 * name with no binding here; the catalog "DB" (it never takes new accounts); closing the last
 * open shard (new accounts would have nowhere to go).
 */
export async function setShardStatus(
  env: object,
  name: string,
  status: "open" | "closed",
  tokenRole: string,
  nowMs: number,
): Promise<ShardView> {
  if (name === CATALOG_SHARD) {
    throw new ShardStatusRefused(
      409,
      "catalog_shard",
      "DB is the catalog: it holds only legacy accounts and stays closed.",
    );
  }
  const shards = await listShards(env);
  const current = shards.find((s) => s.name === name);
  if (!current) throw new ShardStatusRefused(404, "unknown_shard", `${name} is not a gig shard bound to this Worker.`);
  if (current.status === status) return current;
  if (status === "closed" && !shards.some((s) => s.name !== name && s.name !== CATALOG_SHARD && s.status === "open")) {
    throw new ShardStatusRefused(
      409,
      "last_open_shard",
      `${name} is the last open shard: new accounts would have nowhere to go. Add a shard (a SHARD_<n> binding) first.`,
    );
  }
  const catalog = shardDb(env, CATALOG_SHARD);
  await catalog.batch([
    auditStatement(
      catalog,
      { action: "shard_status", reason: "api", tokenRole, target: name, detail: { from: current.status, to: status } },
      nowMs,
    ),
    catalog
      .prepare(
        "INSERT INTO shards (name, status) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET status = excluded.status",
      )
      .bind(name, status),
  ]);
  return { ...current, status };
}
