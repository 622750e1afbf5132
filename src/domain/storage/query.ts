/**
 * Pieces shared by the read queries: SQL built with bound parameters only, and keyset pages that
 * fetch one row past the limit to learn whether another page exists (no OFFSET, no COUNT).
 * @module
 */
import type { Position } from "../list-params.ts";

/** SQL and its parameters. Builders are exported so tests can EXPLAIN exactly what runs. */
export interface BoundQuery {
  sql: string;
  params: (string | number | null)[];
}

/** Collects parameters and hands out their `?N` placeholders, so no value ever enters the SQL text. */
export class Params {
  readonly values: (string | number | null)[] = [];

  bind(value: string | number | null): string {
    this.values.push(value);
    return `?${this.values.length}`;
  }
}

/**
 * Runs a page query built with `LIMIT limit + 1` and returns its rows in display order. A query
 * walking backwards ("previous") reads them in reverse, nearest first, so they are turned round.
 */
export async function fetchPage<T>(
  db: D1Database,
  query: BoundQuery,
  limit: number,
  position: Position<unknown> | null,
): Promise<{ rows: T[]; hasMore: boolean }> {
  const { results } = await db
    .prepare(query.sql)
    .bind(...query.params)
    .all<T>();
  const rows = results.slice(0, limit);
  if (position?.dir === "previous") rows.reverse();
  return { rows, hasMore: results.length > limit };
}

/**
 * Keyset condition and ORDER BY for a list ordered by one unique column, `descending` in display
 * order (newest first for time-ordered IDs).
 */
export function idKeyset(
  column: string,
  descending: boolean,
  position: Position<string> | null,
  params: Params,
): { where: string | null; order: string } {
  // Walking backwards reverses both the comparison and the order.
  const reversed = position?.dir === "previous";
  const desc = descending !== reversed;
  const order = `${column} ${desc ? "DESC" : "ASC"}`;
  if (!position) return { where: null, order };
  const op = (desc ? "<" : ">") + (position.inclusive ? "=" : "");
  return { where: `${column} ${op} ${params.bind(position.key)}`, order };
}

/** A JSON text column parsed, or the text itself if it is not JSON (shown, never dropped). */
/** A BLOB column as bytes: D1 returns an ArrayBuffer in some runtimes, an array of numbers in others. */
export function blobBytes(blob: ArrayBuffer | number[]): Uint8Array<ArrayBuffer> {
  return blob instanceof ArrayBuffer ? new Uint8Array(blob) : Uint8Array.from(blob);
}

export function parseJsonColumn(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
