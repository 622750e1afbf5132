/**
 * Access to the read API, by least privilege: `API_TOKEN_READ` grants only /v2/* (what a lender's
 * services need to read gigs); `API_TOKEN_ADMIN` grants /api/* (raw bodies, replay, redrive,
 * delete) and /v2/* too. Each also accepts a `_PREVIOUS` value while it is rotated. The old single
 * `API_TOKEN` still works, as admin, with a warning logged once per isolate. Tokens come as a
 * bearer token or as the password of HTTP Basic with any username (what clients written for
 * Argyle's API send), and are compared in constant time. Fails closed: with no token configured
 * every route answers 503.
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { logWarn } from "../domain/log.ts";
import type { ReceiverBindings, ReceiverEnv } from "./env.ts";
import { errorResponse, fail } from "./errors.ts";

/** Both schemes we accept, so clients can pick (RFC 9110 §11.6.1 allows several challenges). */
export const WWW_AUTHENTICATE = 'Bearer realm="argyle-mirror", Basic realm="argyle-mirror"';

/** Longest Authorization header considered; anything longer cannot hold a token we issued. */
const MAX_HEADER_LENGTH = 4096;

const encoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export type TokenRole = "read" | "admin";

/** What a presented token may do; `legacy` when it is the deprecated single `API_TOKEN`. */
export interface Grant {
  role: TokenRole;
  legacy: boolean;
}

/** The role written to the audit log: `admin`, or `legacy` for the deprecated `API_TOKEN`. */
export type AuditRole = "admin" | "read" | "legacy";

export type ApiVariables = { tokenRole: AuditRole };

/** The configured tokens (unset and empty ones left out). The only place these secrets are read. */
function configuredTokens(env: ReceiverEnv): { value: string; grant: Grant }[] {
  const admin: Grant = { role: "admin", legacy: false };
  const read: Grant = { role: "read", legacy: false };
  const all = [
    { value: env.API_TOKEN_ADMIN, grant: admin },
    { value: env.API_TOKEN_ADMIN_PREVIOUS, grant: admin },
    { value: env.API_TOKEN_READ, grant: read },
    { value: env.API_TOKEN_READ_PREVIOUS, grant: read },
    { value: env.API_TOKEN, grant: { role: "admin", legacy: true } satisfies Grant },
  ];
  return all.flatMap(({ value, grant }) => (value ? [{ value, grant }] : []));
}

/**
 * The grant of `presented` (a token as sent), or null. Every configured token is compared, so
 * the time taken does not tell which one matched; an admin token outranks a read token.
 */
export async function grantFor(env: ReceiverEnv, presented: string | null): Promise<Grant | null> {
  if (presented === null) return null;
  const tokens = configuredTokens(env);
  const matches = await Promise.all(tokens.map((t) => sameToken(presented, t.value)));
  let best: Grant | null = null;
  tokens.forEach((t, i) => {
    if (matches[i] && (best === null || (best.role === "read" && t.grant.role === "admin"))) best = t.grant;
  });
  return best;
}

/**
 * Whether `presented` (a raw token, not a header) is an admin token: `API_TOKEN_ADMIN`, its
 * `_PREVIOUS`, or the deprecated `API_TOKEN`. For other front doors (e.g. a console login).
 */
export async function isAdminToken(env: ReceiverEnv, presented: string): Promise<boolean> {
  return (await grantFor(env, presented))?.role === "admin";
}

/**
 * Key material for signing console sessions: every configured admin token, current and previous
 * (and the deprecated `API_TOKEN`). Derived, so there is no extra secret to provision; any change
 * to that set changes the key and signs every session out: setting `API_TOKEN_ADMIN_PREVIOUS` to
 * start a rotation does, and so does removing it to finish one. Null when no admin token is configured.
 */
export function adminKeyMaterial(env: ReceiverEnv): string | null {
  const admins = configuredTokens(env).filter((t) => t.grant.role === "admin");
  return admins.length === 0 ? null : admins.map((t) => t.value).join("\u0000");
}

/** The deprecated API_TOKEN's warning is logged once per isolate, not per request. */
let legacyWarned = false;

/**
 * Requires a token granting `need`. `style` picks the 401 body: Argyle's `{"detail"}` on the
 * Argyle-compatible routes, so their clients read it as Argyle's own; our `{"error"}` on /api.
 * A valid token without the role answers 403.
 */
export function requireApiToken(style: "argyle" | "ops", need: TokenRole): MiddlewareHandler<ReceiverBindings> {
  return async (c, next) => {
    if (configuredTokens(c.env).length === 0) {
      fail(
        503,
        "not_configured",
        "No API token is set (API_TOKEN_READ, API_TOKEN_ADMIN): the API is off until one is.",
      );
    }
    const grant = await grantFor(c.env, presentedToken(c.req.header("authorization")));
    if (grant === null) {
      const headers = { "WWW-Authenticate": WWW_AUTHENTICATE };
      return style === "argyle"
        ? c.json({ detail: "Invalid username/password." }, 401, headers)
        : errorResponse(
            c,
            401,
            "unauthorized",
            "A valid API token is required (Bearer, or as the Basic password).",
            headers,
          );
    }
    if (need === "admin" && grant.role !== "admin") {
      return style === "argyle"
        ? c.json({ detail: "You do not have permission to perform this action." }, 403)
        : errorResponse(c, 403, "forbidden", "This token may read /v2 only; /api needs the admin token.");
    }
    if (grant.legacy && !legacyWarned) {
      legacyWarned = true;
      logWarn("API_TOKEN is deprecated: set API_TOKEN_ADMIN (and API_TOKEN_READ for readers), then remove it");
    }
    c.set("tokenRole", grant.legacy ? "legacy" : grant.role);
    await next();
  };
}

/** The token in an Authorization header (`Bearer <token>` or `Basic base64(any:<token>)`), or null. */
export function presentedToken(header: string | undefined): string | null {
  if (!header || header.length > MAX_HEADER_LENGTH) return null;
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match) return null;
  const [, scheme = "", credentials = ""] = match;
  switch (scheme.toLowerCase()) {
    case "bearer":
      return credentials;
    case "basic": {
      let decoded: string;
      try {
        decoded = utf8.decode(Uint8Array.from(atob(credentials), (ch) => ch.charCodeAt(0)));
      } catch {
        return null;
      }
      const colon = decoded.indexOf(":");
      // The username is free (Argyle clients send their key id); the password is the token.
      return colon === -1 ? null : decoded.slice(colon + 1);
    }
    default:
      return null;
  }
}

/**
 * Constant-time equality. Hashing both sides first gives equal-length inputs, so neither the
 * comparison nor a length check reveals how much of the token matched, or how long it is.
 */
async function sameToken(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(presented)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}
