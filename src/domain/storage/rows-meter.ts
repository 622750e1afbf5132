/**
 * Counts the rows D1 reports read (`meta.rows_read`) by every statement run through a database:
 * the cron wraps its D1 binding in one, so its log line reports what the whole run read (outbox,
 * lifecycle steps and the alerts watchdog alike), including queries added later.
 * @module
 */

export interface RowsMeter {
  /** Use this in place of the binding: same API, every statement counted. */
  db: D1Database;
  /** Rows read so far through `db`. */
  rowsRead(): number;
}

export function meterRowsRead(db: D1Database): RowsMeter {
  let rows = 0;
  const add = (meta: { rows_read?: number } | undefined) => {
    rows += meta?.rows_read ?? 0;
  };
  // The statements stay D1's own objects (batch() needs those); only their run methods are wrapped.
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
    // first() hides D1's meta: the same query through all() shows it (D1 reads the same rows).
    statement.first = (async (column?: string) => {
      const result = await all<Record<string, unknown>>();
      add(result.meta);
      const row = result.results[0] ?? null;
      return column === undefined || row === null ? row : row[column];
    }) as typeof statement.first;
    return statement;
  };
  const wrapped = new Proxy(db, {
    get(target, property) {
      if (property === "prepare") return (sql: string) => metered(target.prepare(sql));
      if (property === "batch")
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements);
          for (const result of results) add(result.meta);
          return results;
        };
      const value = Reflect.get(target, property) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db: wrapped, rowsRead: () => rows };
}
