/**
 * The `npm run dry-run` check that both Workers see the same databases: in every environment, the
 * catalog (DB) and every gig shard (SHARD_1..SHARD_N, no gap) are bound in BOTH wrangler configs
 * with the same database_name and database_id, and each uses its role's migrations folder. wrangler
 * accepts a config that breaks any of this, and the Workers would then read and write different
 * databases, or a shard `npm run deploy` never migrated.
 * @module
 */
import path from "node:path";
import { type D1Binding, d1BindingsByEnv, TOP_LEVEL } from "./d1-bindings.ts";

const CONFIGS = ["wrangler.toml", "wrangler.consumer.toml"] as const;
const SHARD_BINDING = /^SHARD_([1-9]\d*)$/;

/** The migrations folder each role's bindings must name. */
const MIGRATIONS_DIR = { catalog: "migrations", shard: "migrations-shard" } as const;

/** One line per problem; empty when every environment is consistent. */
export function shardBindingProblems(root: string, configs: readonly string[] = CONFIGS): string[] {
  const byConfig = configs.map((config) => ({ config, envs: d1BindingsByEnv(path.join(root, config)) }));
  const envNames = [...new Set(byConfig.flatMap(({ envs }) => [...envs.keys()]))];
  const problems: string[] = [];
  for (const env of envNames) {
    const where = env === TOP_LEVEL ? "top level" : `env ${env}`;
    for (const { config, envs } of byConfig) {
      problems.push(...oneConfig(envs.get(env) ?? [], `${config} (${where})`));
    }
    problems.push(
      ...acrossConfigs(
        byConfig.map(({ config, envs }) => ({ config, bindings: envs.get(env) ?? [] })),
        where,
      ),
    );
  }
  return problems;
}

/** What one config's environment must hold on its own: DB, SHARD_1..SHARD_N, their folders, distinct ids. */
function oneConfig(bindings: D1Binding[], label: string): string[] {
  const problems: string[] = [];
  const names = bindings.map((b) => b.binding);
  if (!names.includes("DB")) problems.push(`${label}: no D1 binding DB (the catalog)`);
  for (const b of bindings) {
    if (b.binding !== "DB" && !SHARD_BINDING.test(b.binding) && /^shard/i.test(b.binding)) {
      problems.push(
        `${label}: D1 binding ${b.binding} is not a shard name: gig shards are SHARD_1, SHARD_2, … (no leading zero)`,
      );
    }
    const expected =
      b.binding === "DB" ? MIGRATIONS_DIR.catalog : SHARD_BINDING.test(b.binding) ? MIGRATIONS_DIR.shard : null;
    if (expected !== null && b.migrations_dir !== expected) {
      problems.push(
        `${label}: ${b.binding} must have migrations_dir = "${expected}" (has ${b.migrations_dir === undefined ? "none" : `"${b.migrations_dir}"`})`,
      );
    }
  }
  const numbers = names.flatMap((n) => {
    const m = SHARD_BINDING.exec(n);
    return m ? [Number(m[1])] : [];
  });
  const highest = Math.max(0, ...numbers);
  const missing = Array.from({ length: highest }, (_, i) => i + 1).filter((n) => !numbers.includes(n));
  if (highest === 0) problems.push(`${label}: no gig shard: bind SHARD_1 (migrations_dir = "migrations-shard")`);
  else if (missing.length > 0) {
    problems.push(
      `${label}: shard numbering has a gap: ${missing.map((n) => `SHARD_${n}`).join(", ")} missing before SHARD_${highest}`,
    );
  }
  const seen = new Map<string, string>();
  for (const b of bindings) {
    if (!b.database_id) continue;
    const other = seen.get(b.database_id);
    if (other)
      problems.push(
        `${label}: ${other} and ${b.binding} share database_id ${b.database_id}: each needs its own database`,
      );
    else seen.set(b.database_id, b.binding);
  }
  return problems;
}

/** What must agree between the configs: the same catalog and shard bindings, same name and id. */
function acrossConfigs(configs: { config: string; bindings: D1Binding[] }[], where: string): string[] {
  const problems: string[] = [];
  const relevant = (b: D1Binding) => b.binding === "DB" || SHARD_BINDING.test(b.binding);
  const names = [...new Set(configs.flatMap(({ bindings }) => bindings.filter(relevant).map((b) => b.binding)))];
  for (const name of names) {
    const found = configs.map(({ config, bindings }) => ({ config, b: bindings.find((b) => b.binding === name) }));
    const absent = found.filter((f) => !f.b).map((f) => f.config);
    if (absent.length > 0) {
      const present = found.filter((f) => f.b).map((f) => f.config);
      problems.push(
        `${where}: ${name} is bound in ${present.join(", ")} but not in ${absent.join(", ")}: both Workers need it`,
      );
      continue;
    }
    for (const field of ["database_name", "database_id"] as const) {
      const values = new Set(found.map((f) => f.b?.[field]));
      if (values.size > 1) {
        problems.push(
          `${where}: ${name} has a different ${field} in ${found.map((f) => `${f.config} ("${f.b?.[field] ?? ""}")`).join(" and ")}: it must be the same database`,
        );
      }
    }
  }
  return problems;
}
