/**
 * Argyle webhook signatures: `X-Argyle-Signature` is the hex HMAC-SHA512 of the exact request
 * body, keyed with the subscription secret's UTF-8 bytes. No prefix, no timestamp.
 * @see https://docs.argyle.com/api-guide/webhooks
 * @module
 */
import { toHex } from "./ids.ts";

export const SIGNATURE_HEADER = "X-Argyle-Signature";

const SHA512_HEX_LENGTH = 128;
const encoder = new TextEncoder();

// Importing a key costs a few microseconds of CPU on every request; keep one per secret for the
// isolate's lifetime. Keyed by the secret itself so a rotated secret gets a fresh key.
const keyCache = new Map<string, Promise<CryptoKey>>();

/** The HMAC-SHA512 key for `secret`, imported once per isolate. */
export function webhookKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-512" }, false, [
      "sign",
      "verify",
    ]);
    // A failed import must not poison the cache for the next request.
    key.catch(() => keyCache.delete(secret));
    keyCache.set(secret, key);
  }
  return key;
}

/**
 * Parses a signature header: exactly 128 hex digits in either case, surrounding whitespace allowed.
 * Returns null for anything else, so malformed headers fail like wrong ones.
 */
export function parseSignatureHeader(header: string | null | undefined): Uint8Array<ArrayBuffer> | null {
  const hex = header?.trim();
  if (!hex || hex.length !== SHA512_HEX_LENGTH || !/^[0-9a-fA-F]+$/.test(hex)) return null;
  const bytes = new Uint8Array(SHA512_HEX_LENGTH / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/**
 * True when `header` is a valid signature of `body` under any of `secrets` (current, previous).
 * Uses `crypto.subtle.verify`, which compares in constant time, and tries every secret even after
 * a match so the time taken does not reveal which one matched.
 */
export async function verifySignature(
  secrets: readonly string[],
  body: BufferSource,
  header: string | null | undefined,
): Promise<boolean> {
  const signature = parseSignatureHeader(header);
  if (!signature) return false;
  const results = await Promise.all(
    secrets.map(async (secret) => crypto.subtle.verify("HMAC", await webhookKey(secret), signature, body)),
  );
  return results.includes(true);
}

/** The lowercase hex signature Argyle would send for `body` (used by tools, tests and the local Argyle). */
export async function signBody(secret: string, body: BufferSource | string): Promise<string> {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const mac = await crypto.subtle.sign("HMAC", await webhookKey(secret), bytes);
  return toHex(new Uint8Array(mac));
}

/** Lowercase hex SHA-256 of `body`: the duplicate-detection key. */
export async function sha256Hex(body: BufferSource): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", body)));
}
