/**
 * Base64 without Node's Buffer: URL-safe and unpadded for pagination cursors, standard for showing
 * stored bodies that are not UTF-8 text.
 * @module
 */

// String.fromCharCode takes its bytes as arguments; chunk so a 1 MiB body stays far below the
// engine's argument limit.
const CHUNK = 0x8000;

/** Standard, padded base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

/** URL-safe, unpadded base64 (RFC 4648 §5): safe in a query string without escaping. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes URL-safe base64 (padding optional); null for anything that is not. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  let binary: string;
  try {
    binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return null;
  }
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}
