/**
 * The webhook body size limit (`MAX_BODY_BYTES`), shared by the receiver's guard and
 * `npm run dry-run`, so a value D1 cannot store is refused before deploy and at request time.
 * @module
 */

export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

/**
 * The largest `MAX_BODY_BYTES` allowed. A body is stored whole in one `event_bodies` row, and D1
 * refuses any value or row over 2,000,000 bytes: a larger limit would accept webhooks that then
 * fail every write (a 503 for a signed delivery, forever). The margin leaves room for the row's
 * other columns and the record's own overhead.
 */
export const MAX_BODY_BYTES_CEILING = 1_900_000;

/** `MAX_BODY_BYTES` as a number, or why it is refused (unset or empty = the default). */
export function parseMaxBodyBytes(
  raw: string | undefined,
): { ok: true; value: number } | { ok: false; message: string } {
  if (raw === undefined || raw.trim() === "") return { ok: true, value: DEFAULT_MAX_BODY_BYTES };
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    return { ok: false, message: "MAX_BODY_BYTES must be a positive integer." };
  }
  if (value > MAX_BODY_BYTES_CEILING) {
    return {
      ok: false,
      message: `MAX_BODY_BYTES is ${value}, above ${MAX_BODY_BYTES_CEILING}: D1 cannot store a body over its 2,000,000-byte row limit.`,
    };
  }
  return { ok: true, value };
}
