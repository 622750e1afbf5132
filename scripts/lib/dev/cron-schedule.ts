/**
 * The consumer's cron schedule, read from wrangler.consumer.toml, so `npm run dev` fires the cron
 * on the same schedule as production (miniflare does not fire cron triggers by itself).
 * @module
 */
import { readFileSync } from "node:fs";
import path from "node:path";

/** Milliseconds between runs of a cron expression of the form `* * * * *` or `*\/N * * * *`. */
export function cronIntervalMs(expression: string): number {
  const fields = expression.trim().split(/\s+/);
  const [minute, ...rest] = fields;
  if (fields.length !== 5 || rest.some((f) => f !== "*")) {
    throw new Error(`cron "${expression}": only "* * * * *" and "*/N * * * *" are supported locally`);
  }
  if (minute === "*") return 60_000;
  const every = /^\*\/(\d{1,2})$/.exec(minute ?? "");
  const n = Number(every?.[1]);
  if (!every || n < 1 || n > 59) throw new Error(`cron "${expression}": unsupported minute field "${minute}"`);
  return n * 60_000;
}

/** The first cron of the top-level `[triggers]` of a wrangler TOML file. */
export function configuredCron(root: string, file = "wrangler.consumer.toml"): string {
  const toml = readFileSync(path.join(root, file), "utf8");
  const match = /^\[triggers\][ \t]*\n(?:[ \t]*#.*\n)*[ \t]*crons\s*=\s*\[\s*"([^"]+)"/m.exec(toml);
  if (!match?.[1]) throw new Error(`${file} has no [triggers] crons`);
  return match[1];
}
