/**
 * Two costs of the outbox design (issue 10), on the local runtime:
 * - Remote round trips between a webhook and its 202. Every D1 and Queue call of the real
 *   receiver is made `latencyMs` slower (instrument/receiver-latency.ts), as a remote call is in
 *   production; the time to the 202 divided by that latency counts the sequential round trips
 *   (target 1: the D1 transaction; the Queue send follows the answer).
 * - Rows read by an idle cron run: `idleEvents` events already sent, inside the retention, and a
 *   cron run with nothing to do. The consumer logs what D1 reported reading (`rows_read` in its
 *   `maintenance` line; the workerd tests check that figure against D1's own meta).
 * @module
 */
import { createHmac, randomUUID } from "node:crypto";
import path from "node:path";
import { newTimeOrderedId } from "../../../src/domain/ids.ts";
import { SIGNATURE_HEADER } from "../../../src/domain/signature.ts";
import { ROOT, startStack } from "../common/stack.ts";
import { median } from "./stats.ts";

export interface OutboxSettings {
  /** Webhooks timed one after another. */
  deliveries: number;
  /** Added to every D1 and Queue call. */
  latencyMs: number;
  /** Events in the tables when the idle cron runs. */
  idleEvents: number;
}

export interface OutboxResult {
  latencyMs: number;
  deliveries: number;
  /** Median time from request to 202 inside the Worker, in ms. */
  answerMs: number;
  /** Sequential remote round trips before the 202: floor(answerMs / latencyMs). */
  roundTrips: number;
  /** Binding calls finished when the 202 was handed back (median). */
  callsBeforeAnswer: number;
  idleCron: { events: number; rowsRead: number };
}

const SECRET = "bench-outbox-secret";

export async function runOutboxScenario(
  settings: OutboxSettings,
  progress: (line: string) => void,
): Promise<OutboxResult> {
  const rowsRead = await idleCronRowsRead(settings.idleEvents);
  const answers = await timeAnswers(settings);
  const answerMs = median(answers.map((a) => a.ms));
  const result: OutboxResult = {
    latencyMs: settings.latencyMs,
    deliveries: settings.deliveries,
    answerMs,
    roundTrips: Math.floor(answerMs / settings.latencyMs),
    callsBeforeAnswer: median(answers.map((a) => a.calls)),
    idleCron: { events: settings.idleEvents, rowsRead },
  };
  progress(
    `outbox: 202 after ${answerMs.toFixed(0)} ms with ${settings.latencyMs} ms per remote call = ${result.roundTrips} round trip(s); ` +
      `idle cron over ${settings.idleEvents} events read ${result.idleCron.rowsRead} rows`,
  );
  return result;
}

async function timeAnswers(settings: OutboxSettings): Promise<{ ms: number; calls: number }[]> {
  // No consumer: nothing takes the jobs off the queue (and nothing calls Argyle).
  const stack = await startStack({
    consumer: false,
    entries: { receiver: path.join(ROOT, "scripts/lib/bench/instrument/receiver-latency.ts") },
    receiverVars: { ARGYLE_WEBHOOK_SECRET: SECRET, BENCH_LATENCY_MS: String(settings.latencyMs) },
  });
  try {
    const answers: { ms: number; calls: number }[] = [];
    for (let i = 0; i < settings.deliveries; i++) {
      const body = Buffer.from(updatedBody());
      const signature = createHmac("sha512", SECRET).update(body).digest("hex");
      const response = await fetch(`${stack.url}/webhooks/argyle`, {
        method: "POST",
        headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signature },
        body,
      });
      await response.arrayBuffer();
      if (response.status !== 202) throw new Error(`the receiver answered ${response.status}`);
      answers.push({
        ms: Number(response.headers.get("x-bench-answer-ms")),
        calls: Number(response.headers.get("x-bench-calls-before-answer")),
      });
    }
    return answers;
  } finally {
    await stack.dispose();
  }
}

async function idleCronRowsRead(events: number): Promise<number> {
  const lines: string[] = [];
  const stack = await startStack({
    // Nothing is queued, so the consumer never calls Argyle; the URL only has to be valid.
    consumerVars: { ARGYLE_API_URL: "http://127.0.0.1:9/v2" },
    onLog: (_level, message) => lines.push(message),
  });
  try {
    const now = Date.now();
    // Prepared a chunk at a time: thousands of statements held at once through miniflare's proxy
    // made its runtime drop the connection.
    const chunk = 50;
    for (let first = 0; first < events; first += chunk) {
      const statements = [];
      for (let i = first; i < Math.min(events, first + chunk); i++) {
        const at = now - 86_400_000 + i * 1000;
        const iso = new Date(at).toISOString();
        const sha = i.toString(16).padStart(64, "0");
        statements.push(
          stack.db
            .prepare("INSERT INTO event_bodies (sha256, body, first_received_at) VALUES (?1, ?2, ?3)")
            .bind(sha, updatedBody(), iso),
          stack.db
            .prepare(
              `INSERT INTO events (id, received_at, arrived_at, event, status, body_sha256, body_bytes, jobs, enqueued_at)
               VALUES (?1, ?2, ?2, 'gigs.updated', 'accepted', ?3, 300, 1, ?2)`,
            )
            .bind(newTimeOrderedId(at), iso, sha),
        );
      }
      await stack.db.batch(statements);
    }
    await stack.runCron(new Date(now));
    const line = lines.map(parseLine).find((l) => l?.msg === "maintenance");
    if (typeof line?.rows_read !== "number") throw new Error("the cron logged no maintenance line with rows_read");
    return line.rows_read;
  } finally {
    await stack.dispose();
  }
}

function parseLine(message: string): { msg?: string; rows_read?: number } | null {
  try {
    return JSON.parse(message) as { msg?: string; rows_read?: number };
  } catch {
    return null;
  }
}

function updatedBody(): string {
  const gig = randomUUID();
  return JSON.stringify({
    event: "gigs.updated",
    name: "argyle-gig-mirror-benchmark",
    data: {
      account: randomUUID(),
      user: randomUUID(),
      available_count: 1,
      updated_count: 1,
      updated_gigs: [gig],
      updated_from: "2026-10-01T08:00:00Z",
      updated_to: "2026-10-31T22:00:00Z",
    },
  });
}
