/**
 * Defaults and environment lookups the command-line tools share: where `npm run dev` listens and
 * which dev secrets it runs with, each overridable under the names the Workers use.
 * @module
 */

import { DEV_DEFAULTS } from "../dev/config.ts";

export type Env = Readonly<Record<string, string | undefined>>;

/** A variable's value; empty counts as unset, as `npm run dev` treats it. */
export function envValue(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** The local Argyle's origin (its API is under /v2, its control API under /_local). */
export function localArgyleOrigin(env: Env): string {
  return `http://127.0.0.1:${envValue(env, "LOCAL_ARGYLE_PORT") ?? DEV_DEFAULTS.LOCAL_ARGYLE_PORT}`;
}

/** The local receiver's webhook URL. */
export function localReceiverUrl(env: Env): string {
  return `http://127.0.0.1:${envValue(env, "PORT") ?? DEV_DEFAULTS.PORT}/webhooks/argyle`;
}
