/**
 * The two questions the console asks of the API tokens: is this the admin token, and what key signs
 * sessions. Both come from api-auth.ts, the one place the token secrets are read.
 * @module
 */
import { adminKeyMaterial } from "../api-auth.ts";
import type { ReceiverEnv } from "../env.ts";

export { isAdminToken } from "../api-auth.ts";

/** The key console sessions and CSRF tokens are signed with, or null when no admin token is set. */
export function consoleSecret(env: ReceiverEnv): string | null {
  // The label keeps these signatures apart from any other use of the same material.
  const material = adminKeyMaterial(env);
  return material === null ? null : `argyle-mirror console v1\u0000${material}`;
}
