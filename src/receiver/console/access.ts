/**
 * Cloudflare Access mode: with `CONSOLE_ACCESS_TEAM` and `CONSOLE_ACCESS_AUD` set, Access stands
 * in front of /console and signs each request's `Cf-Access-Jwt-Assertion` (RS256). We verify it
 * against the team's published keys, its audience and issuer, so a request that bypassed Access
 * (e.g. straight to workers.dev) gets nothing. Hono's JWT helper does the verification.
 * @module
 */
import { verifyWithJwks } from "hono/jwt";
import type { ReceiverEnv } from "../env.ts";

export const ACCESS_HEADER = "cf-access-jwt-assertion";

export interface AccessConfig {
  team: string;
  aud: string;
}

/** The Access settings, null when Access mode is off; throws on a half configuration. */
export function accessConfig(env: ReceiverEnv): AccessConfig | null {
  const team = env.CONSOLE_ACCESS_TEAM?.trim() ?? "";
  const aud = env.CONSOLE_ACCESS_AUD?.trim() ?? "";
  if (team === "" && aud === "") return null;
  if (team === "" || aud === "" || !/^[a-z0-9-]{1,63}$/i.test(team)) {
    throw new Error(
      "CONSOLE_ACCESS_TEAM and CONSOLE_ACCESS_AUD must be set together (team: the name before .cloudflareaccess.com)",
    );
  }
  return { team, aud };
}

export function teamOrigin(config: AccessConfig): string {
  return `https://${config.team}.cloudflareaccess.com`;
}

/** The verified identity (email, else subject) of the request, or null if its assertion does not verify. */
export async function verifyAccess(request: Request, config: AccessConfig): Promise<string | null> {
  const token = request.headers.get(ACCESS_HEADER);
  if (!token) return null;
  try {
    const payload = await verifyWithJwks(
      token,
      {
        jwks_uri: `${teamOrigin(config)}/cdn-cgi/access/certs`,
        allowedAlgorithms: ["RS256"],
        verification: { aud: config.aud, iss: teamOrigin(config) },
      },
      // The keys rotate rarely: let Cloudflare's cache answer most look-ups.
      { cf: { cacheTtl: 300, cacheEverything: true } },
    );
    const who = typeof payload.email === "string" ? payload.email : payload.sub;
    return typeof who === "string" && who !== "" ? who : null;
  } catch {
    return null;
  }
}
