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
  // batch() needs the binding's own statement objects: each metered wrapper maps back to its original.
  const originals = new WeakMap<object, D1PreparedStatement>();
  // A Proxy per statement, never a change to the statement itself: the binding may be a wrapper
  // of its own (tests wrap D1 to inject faults), whose objects must stay as they are.
  const metered = (statement: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, property) {
        if (property === "bind") return (...values: unknown[]) => metered(target.bind(...values));
        if (property === "all" || property === "run")
          return async () => {
            const result = property === "all" ? await target.all() : await target.run();
            add(result.meta);
            return result;
          };
        // first() hides D1's meta: the same query through all() shows it (D1 reads the same rows).
        if (property === "first")
          return async (column?: string) => {
            const result = await target.all<Record<string, unknown>>();
            add(result.meta);
            const row = result.results[0] ?? null;
            return column === undefined || row === null ? row : row[column];
          };
        const value = Reflect.get(target, property) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    originals.set(proxy, statement);
    return proxy;
  };
  const wrapped = new Proxy(db, {
    get(target, property) {
      if (property === "prepare") return (sql: string) => metered(target.prepare(sql));
      if (property === "batch")
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements.map((s) => originals.get(s) ?? s));
          for (const result of results) add(result.meta);
          return results;
        };
      const value = Reflect.get(target, property) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db: wrapped, rowsRead: () => rows };
}
