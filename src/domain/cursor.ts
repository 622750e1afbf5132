/**
 * Opaque pagination cursors: URL-safe base64 of a small JSON object. Every cursor that comes back
 * is validated with valibot, because a client can send anything. They are not signed: a cursor
 * only says which filters and where to continue, which a client could state directly anyway, so
 * a forged one gains nothing and every value in it is still bound, never spliced into SQL.
 * @module
 */
import * as v from "valibot";
import { fromBase64Url, toBase64Url } from "./base64.ts";

/** Longest cursor accepted: ours are a few hundred characters. */
export const MAX_CURSOR_LENGTH = 1024;

const encoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The cursor text for `payload`. */
export function encodeCursor(payload: unknown): string {
  return toBase64Url(encoder.encode(JSON.stringify(payload)));
}

/** The payload of `token` if it decodes and matches `schema`, else null. Never throws. */
export function decodeCursor<TSchema extends v.GenericSchema>(
  schema: TSchema,
  token: string,
): v.InferOutput<TSchema> | null {
  if (token.length > MAX_CURSOR_LENGTH) return null;
  const bytes = fromBase64Url(token);
  if (!bytes) return null;
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(bytes));
  } catch {
    return null;
  }
  const parsed = v.safeParse(schema, json);
  return parsed.success ? parsed.output : null;
}
