/**
 * Console sessions: an HMAC-signed cookie (Hono's signed cookies, HMAC-SHA256 over Web Crypto)
 * holding a random session id and its expiry. `HttpOnly; Secure; SameSite=Strict`, scoped to
 * /console. The expiry is inside the signed value as well as in Max-Age, so a cookie kept past
 * its life (or replayed by hand) is refused by the server, not only forgotten by the browser.
 * @module
 */
import type { Context } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import { toHex } from "../../domain/ids.ts";

export const SESSION_COOKIE = "console_session";
export const SESSION_SECONDS = 8 * 3600;

const COOKIE_OPTIONS = {
  path: "/console",
  httpOnly: true,
  secure: true,
  sameSite: "Strict",
} as const satisfies CookieOptions;

export interface Session {
  id: string;
  expiresMs: number;
}

/** Starts a session: sets the cookie, returns the session. */
export async function startSession(c: Context, secret: string, nowMs: number = Date.now()): Promise<Session> {
  const session = { id: toHex(crypto.getRandomValues(new Uint8Array(16))), expiresMs: nowMs + SESSION_SECONDS * 1000 };
  await setSignedCookie(c, SESSION_COOKIE, `${session.id}.${session.expiresMs}`, secret, {
    ...COOKIE_OPTIONS,
    maxAge: SESSION_SECONDS,
  });
  return session;
}

/** The request's session if its cookie is signed by `secret` and not expired, else null. */
export async function readSession(c: Context, secret: string, nowMs: number = Date.now()): Promise<Session | null> {
  const value = await getSignedCookie(c, secret, SESSION_COOKIE);
  if (!value) return null;
  const match = /^([0-9a-f]{32})\.(\d{1,15})$/.exec(value);
  if (!match) return null;
  const expiresMs = Number(match[2]);
  if (!(expiresMs > nowMs)) return null;
  return { id: match[1] ?? "", expiresMs };
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, COOKIE_OPTIONS);
}
