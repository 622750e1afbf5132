/**
 * Opaque list cursors. Like Argyle's, a `next`/`previous` link carries nothing but `?cursor=`,
 * so the cursor itself holds the list's filters, its page size and the keyset position.
 * It is base64url JSON: opaque to clients, easy to read when debugging.
 * @module
 */
import * as v from "valibot";
import type { Position } from "./pagination.ts";

/** Which list a cursor belongs to, so one list's cursor is refused by another. */
export type CursorResource = "gigs" | "webhooks";

export interface CursorState<Q> {
  query: Q;
  limit: number;
  position: Position;
}

const PositionSchema = v.object({
  forward: v.boolean(),
  key: v.nullable(v.tuple([v.union([v.number(), v.string()]), v.string()])),
  inclusive: v.boolean(),
});

/** The cursor text for `state` of a `resource` list. */
export function encodeCursor<Q>(resource: CursorResource, state: CursorState<Q>): string {
  const json = JSON.stringify({ r: resource, q: state.query, l: state.limit, p: state.position });
  const bytes = new TextEncoder().encode(json);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The state in `text`, or null when it is not a valid cursor of a `resource` list. */
export function decodeCursor<Q>(
  resource: CursorResource,
  text: string,
  querySchema: v.GenericSchema<unknown, Q>,
  maxLimit: number,
): CursorState<Q> | null {
  if (!/^[A-Za-z0-9_-]{1,4000}$/.test(text)) return null;
  let json: unknown;
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    json = JSON.parse(
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
        Uint8Array.from(binary, (c) => c.charCodeAt(0)),
      ),
    );
  } catch {
    return null;
  }
  const schema = v.object({
    r: v.literal(resource),
    q: querySchema,
    l: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(maxLimit)),
    p: PositionSchema,
  });
  const parsed = v.safeParse(schema, json);
  if (!parsed.success) return null;
  const { q, l, p } = parsed.output;
  // A backward page needs a key to count back from.
  if (!p.forward && p.key === null) return null;
  return { query: q, limit: l, position: p };
}
