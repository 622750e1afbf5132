/**
 * The `npm run dry-run` check that every environment's `MAX_BODY_BYTES` (wrangler.toml) is one the
 * receiver accepts: a value above D1's row limit would deploy fine and then refuse every webhook
 * at request time, so it is refused here first, with the same message.
 * @module
 */
import path from "node:path";
import { experimental_readRawConfig } from "wrangler";
import { parseMaxBodyBytes } from "../../../src/domain/body-limit.ts";

type Vars = Record<string, unknown> | undefined;

/** One line per environment whose MAX_BODY_BYTES is refused; empty when all are fine. */
export function bodyLimitProblems(root: string, config = "wrangler.toml"): string[] {
  const { rawConfig } = experimental_readRawConfig({ config: path.join(root, config) });
  const envs: [string, Vars][] = [
    ["top level", rawConfig.vars as Vars],
    ...Object.entries((rawConfig.env ?? {}) as Record<string, { vars?: Vars }>).map(([name, env]): [string, Vars] => [
      `env ${name}`,
      env.vars,
    ]),
  ];
  const problems: string[] = [];
  for (const [label, vars] of envs) {
    const raw = vars?.MAX_BODY_BYTES;
    const parsed = parseMaxBodyBytes(raw === undefined ? undefined : String(raw));
    if (!parsed.ok) problems.push(`${config} (${label}): ${parsed.message}`);
  }
  return problems;
}
