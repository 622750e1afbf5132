/**
 * The D1 databases each wrangler config binds, per environment (the top level and every
 * `[env.X]`; bindings are not inherited by environments). Read by `npm run dry-run`'s shard check
 * and by `npm run deploy`, which migrates every one of them.
 * @module
 */
import path from "node:path";
import { experimental_readRawConfig } from "wrangler";

export interface D1Binding {
  binding: string;
  database_name?: string;
  database_id?: string;
  migrations_dir?: string;
}

/** The top level's environment key: `undefined` in wrangler's `--env` terms. */
export const TOP_LEVEL = "top level";

type RawD1 = { d1_databases?: D1Binding[] };

/** Environment name (TOP_LEVEL, "staging", …) → its D1 bindings, as written in `configFile`. */
export function d1BindingsByEnv(configFile: string): Map<string, D1Binding[]> {
  const { rawConfig } = experimental_readRawConfig({ config: configFile });
  const envs = new Map<string, D1Binding[]>([[TOP_LEVEL, (rawConfig as RawD1).d1_databases ?? []]]);
  for (const [name, env] of Object.entries((rawConfig.env ?? {}) as Record<string, RawD1>)) {
    envs.set(name, env.d1_databases ?? []);
  }
  return envs;
}

/** The D1 bindings of one environment of `root/config` (`env` undefined = the top level). */
export function d1Bindings(root: string, env: string | undefined, config = "wrangler.toml"): D1Binding[] {
  return d1BindingsByEnv(path.join(root, config)).get(env ?? TOP_LEVEL) ?? [];
}
