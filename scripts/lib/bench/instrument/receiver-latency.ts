/**
 * The receiver Worker, unchanged, with every D1 and Queue call made `BENCH_LATENCY_MS` slower, as
 * a remote round trip is in production (locally both answer in well under a millisecond). The
 * time to the 202 divided by that latency is the number of sequential remote round trips on the
 * request's path. The time is taken inside the Worker (`x-bench-answer-ms`: workerd's clock moves
 * across I/O and timers, which is all this measures), so the HTTP hop from the benchmark's
 * process does not blur it. `x-bench-calls-before-answer` counts the binding calls that had
 * finished when the answer was handed back (benchmark only, never deployed).
 * @module
 */
import type { ReceiverEnv } from "../../../../src/receiver/env.ts";
import app from "../../../../src/receiver/index.ts";

type Env = ReceiverEnv & { BENCH_LATENCY_MS?: string };

const STATEMENT_METHODS = new Set(["first", "all", "run", "raw"]);

export default {
  async fetch(request, env, ctx) {
    const latencyMs = Number(env.BENCH_LATENCY_MS ?? "50");
    let finished = 0;
    const remote = async <T>(call: () => Promise<T>): Promise<T> => {
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
      try {
        return await call();
      } finally {
        finished++;
      }
    };
    const started = Date.now();
    const response = await app.fetch(
      request,
      { ...env, DB: slowD1(env.DB, remote), JOBS: slowQueue(env.JOBS, remote) },
      ctx,
    );
    const marked = new Response(response.body, response);
    marked.headers.set("x-bench-answer-ms", String(Date.now() - started));
    marked.headers.set("x-bench-calls-before-answer", String(finished));
    return marked;
  },
} satisfies ExportedHandler<Env>;

type Remote = <T>(call: () => Promise<T>) => Promise<T>;

function slowD1(db: D1Database, remote: Remote): D1Database {
  // db.batch() needs D1's own statement objects: keep each wrapper's original.
  const originals = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const wrapped = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
        if (typeof prop === "string" && STATEMENT_METHODS.has(prop)) {
          const method = target[prop as "all"] as (...a: unknown[]) => Promise<unknown>;
          return (...args: unknown[]) => remote(() => method.apply(target, args));
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    originals.set(wrapped, statement);
    return wrapped;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql));
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) =>
          remote(() => target.batch(statements.map((s) => originals.get(s) ?? s)));
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function slowQueue<T>(queue: Queue<T>, remote: Remote): Queue<T> {
  return {
    send: (body, options) => remote(() => queue.send(body, options)),
    sendBatch: (messages, options) => remote(() => queue.sendBatch(messages, options)),
  } as Queue<T>;
}
