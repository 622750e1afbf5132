/**
 * The headers a webhook delivery carries: JSON content type and `X-Argyle-Signature`, the hex
 * HMAC-SHA512 of the exact body. With `tamper`, a signature that is well-formed but wrong, so
 * the receiver's 401 path can be seen (a missing or malformed header would test less).
 * @module
 */
import { SIGNATURE_HEADER, signBody } from "../../../src/domain/signature.ts";

export async function webhookHeaders(body: string, secret: string, tamper = false): Promise<Record<string, string>> {
  const signature = await signBody(secret, body);
  return {
    "content-type": "application/json",
    [SIGNATURE_HEADER]: tamper ? tamperSignature(signature) : signature,
  };
}

/** The signature with its last hex digit changed: same length and alphabet, never valid. */
export function tamperSignature(signature: string): string {
  const last = signature.at(-1) ?? "0";
  return `${signature.slice(0, -1)}${last === "0" ? "1" : "0"}`;
}
