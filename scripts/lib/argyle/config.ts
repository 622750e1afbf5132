/**
 * Which Argyle API `npm run argyle` talks to: ARGYLE_API_URL with its API key, or, when that is
 * unset, the local Argyle of `npm run dev` with its local credentials.
 * @module
 */
import { type Env, envValue, localArgyleOrigin } from "../common/cli-env.ts";
import { UsageError } from "../common/cli-errors.ts";
import { DEV_DEFAULTS } from "../dev/config.ts";

export interface ArgyleApiConfig {
  /** Base URL without a trailing slash, e.g. https://api.argyle.com/v2 */
  url: string;
  keyId: string;
  keySecret: string;
  /** True when ARGYLE_API_URL was unset and the local Argyle is used. */
  local: boolean;
}

/** The API to use; throws `UsageError` for a half-set or malformed configuration. */
export function argyleApiConfig(env: Env): ArgyleApiConfig {
  const keyId = envValue(env, "ARGYLE_API_KEY_ID");
  const keySecret = envValue(env, "ARGYLE_API_KEY_SECRET");
  const url = envValue(env, "ARGYLE_API_URL");
  if (url === undefined) {
    return {
      url: `${localArgyleOrigin(env)}/v2`,
      keyId: keyId ?? DEV_DEFAULTS.ARGYLE_API_KEY_ID,
      keySecret: keySecret ?? DEV_DEFAULTS.ARGYLE_API_KEY_SECRET,
      local: true,
    };
  }
  if (!/^https?:\/\/[^/]/.test(url)) {
    throw new UsageError(`ARGYLE_API_URL must be an http(s) URL such as https://api.argyle.com/v2, got "${url}"`);
  }
  const unset = [keyId === undefined && "ARGYLE_API_KEY_ID", keySecret === undefined && "ARGYLE_API_KEY_SECRET"];
  const missing = unset.filter((name): name is string => typeof name === "string");
  if (missing.length > 0) {
    throw new UsageError(
      `ARGYLE_API_URL is set (${url}) but ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not: ` +
        "set both to an API key of that environment (Argyle Console → Developers → API keys)",
    );
  }
  return { url: url.replace(/\/+$/, ""), keyId: keyId as string, keySecret: keySecret as string, local: false };
}

/** The line that says which API is in use, printed before anything is sent. */
export function describeArgyleApi(config: ArgyleApiConfig): string {
  return config.local
    ? `Argyle API: ${config.url} (local Argyle; set ARGYLE_API_URL for the real one)`
    : `Argyle API: ${config.url} (from ARGYLE_API_URL, key ${config.keyId})`;
}
