/**
 * How many gig shards a local stack runs: `StackOptions.shards`, else `GIG_SHARDS`, else the
 * shards wrangler.toml declares (2). Locally only: deployed Workers get exactly the bindings in
 * their wrangler files.
 * @module
 */

/** The Workers' rule (src/domain/shards/bindings.ts), restated: that file needs the Workers types. */
const SHARD_BINDING = /^SHARD_[1-9]\d*$/;

export function isShardBinding(name: string): boolean {
  return SHARD_BINDING.test(name);
}

/** The shard count asked for, checked: a whole number ≥ 1 (a clear error otherwise). */
export function shardCount(
  option: number | undefined,
  env: Record<string, string | undefined>,
  configured: number,
): number {
  if (option !== undefined) return checked(option, "shards");
  return parseGigShards(env.GIG_SHARDS) ?? checked(configured, "the shards in wrangler.toml");
}

/** GIG_SHARDS as a count; undefined when unset or empty. Throws a clear error for anything but a whole number ≥ 1. */
export function parseGigShards(value: string | undefined): number | undefined {
  const raw = value?.trim();
  if (raw === undefined || raw === "") return undefined;
  if (!/^\d+$/.test(raw)) throw new Error(`GIG_SHARDS must be a whole number ≥ 1, got "${value}"`);
  return checked(Number(raw), "GIG_SHARDS");
}

function checked(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a whole number ≥ 1, got ${n}`);
  return n;
}

/** SHARD_1..SHARD_n. */
export function shardBindingNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `SHARD_${i + 1}`);
}

type D1Options = Record<string, string | { id: string; [key: string]: unknown }>;

/**
 * A Worker's D1 options with exactly SHARD_1..SHARD_n: the configured shards keep their ids (so
 * their persisted data is theirs), extra ones get an id of their own, missing ones are dropped.
 * The ids depend only on the binding name, so both Workers reach the same database.
 */
export function withShards(d1: D1Options, n: number): D1Options {
  const kept = Object.fromEntries(Object.entries(d1).filter(([name]) => !isShardBinding(name)));
  for (const name of shardBindingNames(n)) kept[name] = d1[name] ?? { id: `local-gig-${name.toLowerCase()}` };
  return kept;
}

/** How many SHARD_n bindings a D1 options object holds. */
export function configuredShards(d1: D1Options): number {
  return Object.keys(d1).filter(isShardBinding).length;
}
