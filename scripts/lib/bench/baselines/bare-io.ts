/**
 * The bare-I/O baseline: the receiver's I/O with none of its checks. Reads the body, stores it
 * with one D1 insert, and sends the queue messages the receiver would send for it (count and
 * size given by the load generator in headers, in `sendBatch` calls of at most 100), then 202.
 * Its table, `bench_bodies`, is created by the benchmark.
 * The gap between it and the receiver is what our verification, parsing and bookkeeping cost.
 * @module
 */

interface Env {
  DB: D1Database;
  JOBS: Queue<unknown>;
}

/** One `sendBatch` takes at most 100 messages. */
const MAX_BATCH_MESSAGES = 100;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const body = await request.arrayBuffer();
    const id = crypto.randomUUID();
    const count = Math.max(1, Number(request.headers.get("x-bench-messages")) || 1);
    const filler = "x".repeat(Math.max(0, Number(request.headers.get("x-bench-message-bytes")) || 0));
    await env.DB.prepare("INSERT INTO bench_bodies (id, body) VALUES (?1, ?2)").bind(id, body).run();
    const messages = Array.from({ length: count }, (_, n) => ({
      body: { id, n, filler },
      contentType: "json" as const,
    }));
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < messages.length; i += MAX_BATCH_MESSAGES) {
      sends.push(env.JOBS.sendBatch(messages.slice(i, i + MAX_BATCH_MESSAGES)));
    }
    await Promise.all(sends);
    return Response.json({ status: "accepted", id }, { status: 202 });
  },
};
