/**
 * Every statement a piece of code runs, captured with its bound values, and its query plan: so a
 * test can hold all of a route's or the cron's queries to "reads through an index", including
 * queries added later, without listing them by hand.
 */
import { env } from "cloudflare:workers";
import { vi } from "vitest";

export interface CapturedStatement {
  sql: string;
  params: unknown[];
}

/** Captures every statement prepared on env.DB while `work` runs (bound values included). */
export async function captureStatements(work: () => Promise<unknown>): Promise<CapturedStatement[]> {
  const captured: CapturedStatement[] = [];
  const prepare = env.DB.prepare.bind(env.DB);
  const spy = vi.spyOn(env.DB, "prepare").mockImplementation((sql) => {
    const statement = prepare(sql);
    const entry: CapturedStatement = { sql, params: [] };
    captured.push(entry);
    const bind = statement.bind.bind(statement);
    statement.bind = (...values: unknown[]) => {
      entry.params = values;
      return bind(...values);
    };
    return statement;
  });
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  return captured;
}

/** The plan's lines, as SQLite words them ("SEARCH e USING INDEX events_not_enqueued (id<?)"). */
export async function planOf(statement: CapturedStatement): Promise<string[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`)
    .bind(...statement.params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail);
}

/** Lines that read a whole table: "SCAN events" (a table or alias, no index), as opposed to
 * "SCAN (subquery-1)", "SCAN CONSTANT ROW" or anything USING an index or the primary key. */
export function fullTableScans(lines: readonly string[]): string[] {
  return lines.filter((line) => /^SCAN [a-z_]+$/.test(line.trim()));
}

/** Statements worth planning: data statements, not PRAGMAs or EXPLAINs. */
export function plannable(statements: readonly CapturedStatement[]): CapturedStatement[] {
  return statements.filter((s) => !/^\s*(PRAGMA|EXPLAIN)\b/i.test(s.sql));
}

/** Rows D1 reports read by every statement run on env.DB while `work` runs (meta.rows_read). */
export async function rowsReadBy(work: () => Promise<unknown>): Promise<number> {
  let rows = 0;
  const add = (meta: { rows_read?: number } | undefined) => {
    rows += meta?.rows_read ?? 0;
  };
  const prepare = env.DB.prepare.bind(env.DB);
  const batch = env.DB.batch.bind(env.DB);
  const metered = (statement: D1PreparedStatement): D1PreparedStatement => {
    const bind = statement.bind.bind(statement);
    const all = statement.all.bind(statement);
    const run = statement.run.bind(statement);
    statement.bind = (...values: unknown[]) => metered(bind(...values));
    statement.all = (async () => {
      const result = await all();
      add(result.meta);
      return result;
    }) as typeof statement.all;
    statement.run = (async () => {
      const result = await run();
      add(result.meta);
      return result;
    }) as typeof statement.run;
    // first() hides D1's meta: read the same rows through all() to see it.
    statement.first = (async (column?: string) => {
      const result = await all<Record<string, unknown>>();
      add(result.meta);
      const row = result.results[0] ?? null;
      return column === undefined || row === null ? row : row[column];
    }) as typeof statement.first;
    return statement;
  };
  const prepareSpy = vi.spyOn(env.DB, "prepare").mockImplementation((sql) => metered(prepare(sql)));
  const batchSpy = vi.spyOn(env.DB, "batch").mockImplementation(async (statements) => {
    const results = await batch(statements);
    for (const result of results) add(result.meta);
    return results;
  });
  try {
    await work();
  } finally {
    prepareSpy.mockRestore();
    batchSpy.mockRestore();
  }
  return rows;
}
