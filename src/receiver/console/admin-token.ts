/**
 * The one question the console asks of a token: is it the admin one? Today the read API's
 * `API_TOKEN` is the admin token. When least-privilege tokens land (API_TOKEN_ADMIN /
 * API_TOKEN_READ), repoint this function, and only this one, at that branch's check.
 * @module
 */
import type { ReceiverEnv } from "../env.ts";

const encoder = new TextEncoder();

/** True if `token` is the admin token; false when none is configured. Constant time. */
export async function isAdminToken(env: ReceiverEnv, token: string): Promise<boolean> {
  const expected = env.API_TOKEN;
  if (!expected) return false;
  // Hashing both sides first gives equal lengths, so the comparison reveals neither match length nor size.
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(token)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** The key console sessions and CSRF tokens are signed with, or null when the console is not configured. */
export function consoleSecret(env: ReceiverEnv): string | null {
  // Derived from the admin token: rotating the token signs every session out, and there is no
  // extra secret to provision. The label keeps these signatures apart from any other use.
  return env.API_TOKEN ? `argyle-mirror console v1\u0000${env.API_TOKEN}` : null;
}
