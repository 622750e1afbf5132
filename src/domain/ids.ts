/**
 * Identifiers: the shape Argyle's IDs take, and our own time-ordered IDs.
 * @module
 */

/**
 * Argyle IDs look like UUIDs (8-4-4-4-12 hex) but do not follow RFC 4122's version and variant
 * bits (e.g. `018051aa-f7a9-a0db-2f38-6cfa325e9d69`), so only the shape is checked.
 */
export const ARGYLE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` has the shape of an Argyle ID. */
export function isArgyleId(value: string): boolean {
  return ARGYLE_ID_PATTERN.test(value);
}

/**
 * A new time-ordered ID in the UUIDv7 layout: 48 bits of milliseconds, then randomness.
 * Sorting these IDs sorts by creation time, so list routes paginate on the primary key alone.
 */
export function newTimeOrderedId(nowMs: number = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = nowMs;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The smallest time-ordered ID that can be created at `ms`: a lower bound for "since" filters. */
export function timeOrderedIdFloor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, "0").slice(-12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b];
  return out;
}
