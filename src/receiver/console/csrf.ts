/**
 * CSRF tokens for the console's forms: HMAC-SHA256 of the session id under the console secret,
 * so a token is valid for one session only and needs no storage. Every mutation checks it (on
 * top of SameSite=Strict and Hono's Origin check).
 * @module
 */
import { toHex } from "../../domain/ids.ts";

export const CSRF_FIELD = "_csrf";

const encoder = new TextEncoder();

async function hmac(secret: string, text: string): Promise<ArrayBuffer> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return crypto.subtle.sign("HMAC", key, encoder.encode(text));
}

/** The CSRF token of session `sessionId`. */
export async function csrfToken(secret: string, sessionId: string): Promise<string> {
  return toHex(new Uint8Array(await hmac(secret, `csrf:${sessionId}`)));
}

/** True if `presented` is the CSRF token of `sessionId`; compared in constant time. */
export async function checkCsrf(secret: string, sessionId: string, presented: unknown): Promise<boolean> {
  if (typeof presented !== "string" || !/^[0-9a-f]{64}$/.test(presented)) return false;
  const expected = encoder.encode(await csrfToken(secret, sessionId));
  return crypto.subtle.timingSafeEqual(expected, encoder.encode(presented));
}
