/**
 * Two costs of the outbox design (issue 10), on the local runtime:
 * - Remote round trips between a webhook and its 202. Every D1 and Queue call of the real
 *   receiver is made `latencyMs` slower (instrument/receiver-latency.ts), as a remote call is in
 *   production; the time to the 202 divided by that latency counts the sequential round trips
 *   (target 1: the D1 transaction; the Queue send follows the answer).
 * - Rows read by an idle cron run of the whole scheduled handler (outbox, backfill revival, event
 *   prune, purge revival, gig retention, reconciliation, the alerts watchdog): `idleEvents` events
 *   already sent, inside the retention, and as many accounts, each reconciled within the period
 *   with a live gig and a tombstone, with completed purges, old attempt logs, redriven failures
 *   and resolved alerts around them. A first cron run settles (as the previous minute's would);
 *   the second, with nothing to do, is measured. The consumer logs what D1 reported reading for
 *   the whole run (`rows_read` in its `maintenance` line, `rows_read_by_step` per step; the
 *   workerd tests check that figure against D1's own meta).
 * @module
 */
import { createHmac, randomUUID } from "node:crypto";
import path from "node:path";
import { newTimeOrderedId } from "../../../src/domain/ids.ts";
import { SIGNATURE_HEADER } from "../../../src/domain/signature.ts";
import type { LocalD1 } from "../common/migrations.ts";
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
  idleCron: { events: number; accounts: number; rowsRead: number; byStep: string };
}

const SECRET = "bench-outbox-secret";

type Statement = ReturnType<LocalD1["prepare"]>;

export async function runOutboxScenario(
  settings: OutboxSettings,
  progress: (line: string) => void,
): Promise<OutboxResult> {
  const idle = await idleCronRowsRead(settings.idleEvents);
  const answers = await timeAnswers(settings);
  const answerMs = median(answers.map((a) => a.ms));
  const result: OutboxResult = {
    latencyMs: settings.latencyMs,
    deliveries: settings.deliveries,
    answerMs,
    roundTrips: Math.floor(answerMs / settings.latencyMs),
    callsBeforeAnswer: median(answers.map((a) => a.calls)),
    idleCron: { events: settings.idleEvents, accounts: settings.idleEvents, ...idle },
  };
  progress(
    `outbox: 202 after ${answerMs.toFixed(0)} ms with ${settings.latencyMs} ms per remote call = ${result.roundTrips} round trip(s); ` +
      `idle cron (whole handler) over ${settings.idleEvents} events and ${settings.idleEvents} accounts read ` +
      `${result.idleCron.rowsRead} rows (${result.idleCron.byStep})`,
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

async function idleCronRowsRead(events: number): Promise<{ rowsRead: number; byStep: string }> {
  const lines: string[] = [];
  const stack = await startStack({
    // Nothing is queued, so the consumer never calls Argyle; the URL only has to be valid.
    // Retention on (a year), so its queries run too; nothing is old enough to expire.
    consumerVars: { ARGYLE_API_URL: "http://127.0.0.1:9/v2", GIG_RETENTION_DAYS: "365" },
    onLog: (_level, message) => lines.push(message),
  });
  try {
    const now = Date.now();
    const day = 86_400_000;
    // Prepared a chunk at a time: thousands of statements held at once through miniflare's proxy
    // made its runtime drop the connection.
    const chunk = 50;
    // Accounts laid out as the consumer places them: a directory row in the catalog, the account's
    // row and gigs on its shard (account i on shard i mod K), so the cron reads the shards.
    const shardNames = Object.keys(stack.shards).sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
    for (let first = 0; first < events; first += chunk) {
      const statements = [];
      const onShards = shardNames.map(() => [] as Statement[]);
      for (let i = first; i < Math.min(events, first + chunk); i++) {
        const at = now - day + i * 1000;
        const iso = new Date(at).toISOString();
        const sha = i.toString(16).padStart(64, "0");
        const account = randomUUID();
        const user = randomUUID();
        const shardName = shardNames[i % shardNames.length] as string;
        const shardDb = stack.shardDb(shardName);
        const shard = onShards[i % shardNames.length] as Statement[];
        statements.push(
          stack.db
            .prepare("INSERT INTO event_bodies (sha256, body, first_received_at) VALUES (?1, ?2, ?3)")
            .bind(sha, updatedBody(account), iso),
          stack.db
            .prepare(
              `INSERT INTO events (id, received_at, arrived_at, event, status, account, body_sha256, body_bytes, jobs, enqueued_at)
               VALUES (?1, ?2, ?2, 'gigs.updated', 'accepted', ?3, ?4, 300, 1, ?2)`,
            )
            .bind(newTimeOrderedId(at), iso, account, sha),
          stack.db
            .prepare("INSERT INTO directory (account, shard, user, placed_ms) VALUES (?1, ?2, ?3, ?4)")
            .bind(account, shardName, user, at),
        );
        shard.push(
          // Reconciled within the period (the last of them a minute before the run), backfill done.
          shardDb
            .prepare(
              `INSERT INTO accounts (id, user, last_webhook_at, backfill_status, backfill_pass, backfill_started_ms,
                 backfill_progress_ms, last_reconciled_ms, reconcile_queued_ms)
               VALUES (?1, ?2, ?3, 'done', 'evt:0', ?4, ?4, ?4, ?4)`,
            )
            .bind(account, user, iso, at),
          shardDb
            .prepare(
              "INSERT INTO gigs (id, account, start_ms, updated_ms, data, synced_ms) VALUES (?1, ?2, ?3, ?3, '{}', ?3)",
            )
            .bind(randomUUID(), account, at - 30 * day),
          shardDb
            .prepare(
              "INSERT INTO gigs (id, account, start_ms, updated_ms, data, synced_ms, removed_at) VALUES (?1, ?2, ?3, ?3, '{}', ?3, ?4)",
            )
            .bind(randomUUID(), account, at - 30 * day, iso),
        );
        if (i % 10 === 0) {
          statements.push(
            stack.db
              .prepare(
                `INSERT INTO purged_accounts (account, user, reason, requested_at, progress_ms, completed_at)
                 VALUES (?1, ?2, 'api', ?3, ?4, ?3)`,
              )
              .bind(randomUUID(), randomUUID(), iso, at),
            stack.db
              .prepare(
                `INSERT INTO job_attempts (job_id, attempts, reason, last_error, updated_at, first_failed_ms)
                 VALUES (?1, 1, 'transient', 'x', ?2, ?3)`,
              )
              .bind(`old-${i}:0`, new Date(now - 2 * day).toISOString(), now - 2 * day),
            stack.db
              .prepare(
                `INSERT INTO failures (id, created_at, job_id, kind, account, reason, attempts, last_error, job, status)
                 VALUES (?1, ?2, ?3, 'fetch_gigs', ?4, 'permanent', 1, 'x', '{}', 'redriven')`,
              )
              .bind(newTimeOrderedId(at), iso, `failed-${i}:0`, account),
            stack.db
              .prepare(
                `INSERT INTO alerts (id, rule, scope, status, hits, clears, opens, summary, next_step, resolved_at, checked_at)
                 VALUES (?1, 'backfill_stalled', ?2, 'resolved', 0, 3, 1, 's', 'n', ?3, ?3)`,
              )
              .bind(newTimeOrderedId(at), account, iso),
          );
        }
      }
      await stack.db.batch(statements);
      for (const [k, list] of onShards.entries()) {
        if (list.length > 0) await stack.shardDb(shardNames[k] as string).batch(list);
      }
    }
    // The previous minute's run, then the measured one.
    await stack.runCron(new Date(now - 60_000));
    lines.length = 0;
    await stack.runCron(new Date(now));
    const line = lines.map(parseLine).find((l) => l?.msg === "maintenance");
    if (typeof line?.rows_read !== "number") throw new Error("the cron logged no maintenance line with rows_read");
    return { rowsRead: line.rows_read, byStep: line.rows_read_by_step ?? "" };
  } finally {
    await stack.dispose();
  }
}

function parseLine(message: string): { msg?: string; rows_read?: number; rows_read_by_step?: string } | null {
  try {
    return JSON.parse(message) as { msg?: string; rows_read?: number; rows_read_by_step?: string };
  } catch {
    return null;
  }
}

function updatedBody(account: string = randomUUID()): string {
  const gig = randomUUID();
  return JSON.stringify({
    event: "gigs.updated",
    name: "argyle-gig-mirror-benchmark",
    data: {
      account,
      user: randomUUID(),
      available_count: 1,
      updated_count: 1,
      updated_gigs: [gig],
      updated_from: "2026-10-01T08:00:00Z",
      updated_to: "2026-10-31T22:00:00Z",
    },
  });
}
