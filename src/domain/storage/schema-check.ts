/**
 * Whether the database has the schema this code needs: the newest migration is recorded in
 * `d1_migrations`, the table wrangler (and our dev runner) keeps of applied migrations. A
 * database that merely answers is not enough: a Worker deployed before its migrations, or a dev
 * stack that has not applied them yet, would accept webhooks it then fails to store.
 * @module
 */

export type SchemaState =
  | { ready: true; migration: string }
  | { ready: false; reason: string; expected: string; applied: string | null };

/**
 * One D1 round trip. Throws only when D1 itself fails (unreachable, overloaded): that is an
 * infrastructure fault, not a schema verdict.
 */
export async function checkSchema(db: D1Database, expected: string): Promise<SchemaState> {
  let row: { found: string | null; newest: string | null } | null;
  try {
    row = await db
      .prepare(
        `SELECT (SELECT name FROM d1_migrations WHERE name = ?1) AS found,
                (SELECT name FROM d1_migrations ORDER BY id DESC LIMIT 1) AS newest`,
      )
      .bind(expected)
      .first();
  } catch (error) {
    // Before the first migration, not even the bookkeeping table exists.
    if (/no such table/i.test(error instanceof Error ? error.message : String(error))) {
      return { ready: false, reason: "no migration is applied", expected, applied: null };
    }
    throw error;
  }
  if (row?.found) return { ready: true, migration: row.found };
  const applied = row?.newest ?? null;
  return {
    ready: false,
    reason: applied ? `migration ${expected} is not applied (newest applied: ${applied})` : "no migration is applied",
    expected,
    applied,
  };
}
