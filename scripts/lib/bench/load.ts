/**
 * HTTP load with autocannon: a fixed number of connections, each sending its next request as
 * soon as the last is answered, either for a time or for an exact number of requests. Every
 * request gets a fresh body from `next` (so bodies can differ, as real deliveries do).
 * Latencies come from autocannon's per-response timings rather than its histogram, which
 * rounds to whole milliseconds.
 * @module
 */
import autocannon from "autocannon";

export interface LoadOptions {
  url: string;
  connections: number;
  /**
   * How long to send, or exactly how many requests. A timed run cuts off the requests still in
   * flight when it ends, so runs whose CPU is divided by their requests count them instead.
   */
  run: { seconds: number } | { requests: number };
  /** The next request's body and headers. */
  next: () => { body: Buffer; headers: Record<string, string> };
}

export interface LoadResult {
  /** Requests answered 2xx. */
  ok: number;
  /** Everything else: errors, timeouts, non-2xx answers. */
  failed: number;
  /** Seconds from the start to the last answer. */
  seconds: number;
  /** Latency of each 2xx answer, in milliseconds. */
  latenciesMs: number[];
  /** Status codes other than 2xx, counted. */
  statuses: Record<string, number>;
}

/**
 * autocannon notices the end of a run on its sampling tick: a short tick keeps a timed run close
 * to its length and the tail after the last answer of a counted one short.
 */
const SAMPLE_MS = 50;

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const latenciesMs: number[] = [];
  const statuses: Record<string, number> = {};
  let failedResponses = 0;
  const started = performance.now();
  let lastAnswer = started;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: url.origin,
        connections: options.connections,
        ...("seconds" in options.run ? { duration: options.run.seconds } : { amount: options.run.requests }),
        sampleInt: SAMPLE_MS,
        timeout: 30,
        requests: [
          {
            method: "POST",
            path: url.pathname,
            setupRequest: (request) => {
              const { body, headers } = options.next();
              return { ...request, body, headers: { ...request.headers, ...headers } };
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          ok: latenciesMs.length,
          failed: failedResponses + result.errors + result.timeouts,
          seconds: (lastAnswer - started) / 1000,
          latenciesMs,
          statuses,
        });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, ms) => {
      lastAnswer = performance.now();
      if (statusCode >= 200 && statusCode < 300) latenciesMs.push(ms);
      else {
        failedResponses++;
        statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      }
    });
  });
}
