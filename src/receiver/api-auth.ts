/**
 * Access to the read API (/v2/*, /api/*): the `API_TOKEN` secret, as a bearer token or as the
 * password of HTTP Basic with any username (what clients written for Argyle's API send). Compared
 * in constant time. Fails closed: without a configured token every route answers 503.
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { ReceiverBindings } from "./env.ts";
import { errorResponse, fail } from "./errors.ts";

/** Both schemes we accept, so clients can pick (RFC 9110 §11.6.1 allows several challenges). */
export const WWW_AUTHENTICATE = 'Bearer realm="argyle-mirror", Basic realm="argyle-mirror"';

/** Longest Authorization header considered; anything longer cannot hold a token we issued. */
const MAX_HEADER_LENGTH = 4096;

const encoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Requires `API_TOKEN`. `style` picks the 401 body: Argyle's `{"detail"}` on the Argyle-compatible
 * routes, so their clients read it as Argyle's own; our `{"error"}` on /api.
 */
export function requireApiToken(style: "argyle" | "ops"): MiddlewareHandler<ReceiverBindings> {
  return async (c, next) => {
    const expected = c.env.API_TOKEN;
    if (!expected) fail(503, "not_configured", "API_TOKEN is not set: the read API is off until it is.");
    const presented = presentedToken(c.req.header("authorization"));
    if (presented === null || !(await sameToken(presented, expected))) {
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
