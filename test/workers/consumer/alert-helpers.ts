/**
 * Alert test kit: a fake alert endpoint that records what it receives (and can be made to fail),
 * a way to run the watchdog as the cron does at a chosen time, and row helpers for each rule's
 * condition.
 */
import { env } from "cloudflare:workers";
import type { AlertEnv } from "../../../src/domain/alerts/config.ts";
import { type AlertRunSummary, runAlerts } from "../../../src/domain/alerts/run.ts";
import { newTimeOrderedId } from "../../../src/domain/ids.ts";

export const SINK_URL = "https://alerts.test/hook";
export const ALERT_SECRET = "test-alert-secret";
export const MIN = 60_000;

export interface Received {
  headers: Record<string, string>;
  body: string;
  json: Record<string, unknown>;
}

export interface Sink {
  fetch: typeof fetch;
  /** Notifications the endpoint accepted (2xx). */
  received: Received[];
  /** Requests that reached it, accepted or not. */
  requests: number;
  /** Answer this status (or throw, for "unreachable") until set back to 200. */
  failWith: number | "unreachable" | null;
}

export function alertSink(): Sink {
  const sink: Sink = {
    received: [],
    requests: 0,
    failWith: null,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      if (request.url !== SINK_URL) throw new Error(`unexpected fetch to ${request.url}`);
      sink.requests++;
      if (sink.failWith === "unreachable") throw new Error(`connect ECONNREFUSED for ${request.url}`);
      if (sink.failWith !== null) return new Response("down", { status: sink.failWith });
      const body = await request.text();
      sink.received.push({ headers: Object.fromEntries(request.headers), body, json: JSON.parse(body) });
      return new Response("ok");
    },
  };
  return sink;
}

/** Runs the watchdog as the cron would at `nowMs`, sending to `sink` (Slack format unless overridden). */
export function check(sink: Sink, nowMs: number, vars: AlertEnv = {}): Promise<AlertRunSummary | null> {
  return runAlerts({ db: env.DB, fetch: sink.fetch }, { ALERT_WEBHOOK_URL: SINK_URL, ...vars }, nowMs);
}

/** Runs `check` at `count` consecutive minutes from `fromMs`; returns the time after the last one. */
export async function checks(sink: Sink, fromMs: number, count: number, vars: AlertEnv = {}): Promise<number> {
  let t = fromMs;
  for (let i = 0; i < count; i++, t += MIN) await check(sink, t, vars);
  return t;
}

/** The transitions the endpoint accepted, as "<rule> <transition>" (Slack text or JSON body). */
export function transitions(sink: Sink): string[] {
  return sink.received.map((r) => {
    if (typeof r.json.type === "string") {
      const alert = r.json.alert as { rule: string };
      return `${alert.rule} ${r.json.type.replace("alert.", "")}`;
    }
    const text = String(r.json.text);
    const label = /\[(OPENED|RE-OPENED|RESOLVED)\]/.exec(text)?.[1] ?? "?";
    const rule = /rule `(\w+)`/.exec(text)?.[1] ?? "?";
    return `${rule} ${label === "RE-OPENED" ? "reopened" : label.toLowerCase()}`;
  });
}

export async function clearAlertTables(): Promise<void> {
  await env.DB.batch(
    [
      "alerts",
      "alert_notifications",
      "signature_failures",
      "events",
      "event_bodies",
      "accounts",
      "failures",
      "job_attempts",
    ].map((t) => env.DB.prepare(`DELETE FROM ${t}`)),
  );
}

export const ACCOUNT = "0187c66e-e7e5-811c-b006-2232f00f426a";

/** A retrying job's attempt log, as the consumer writes it. */
export async function retryingJob(
  jobId: string,
  reason: string,
  firstFailedMs: number,
  updatedMs: number,
): Promise<void> {
  await env.DB.prepare(
    `INSERT INTO job_attempts (job_id, attempts, reason, last_error, updated_at, first_failed_ms) VALUES (?1, 2, ?2, 'x', ?3, ?4)
     ON CONFLICT (job_id) DO UPDATE SET reason = ?2, updated_at = ?3`,
  )
    .bind(jobId, reason, new Date(updatedMs).toISOString(), firstFailedMs)
    .run();
}

/** An open failure created at `atMs`; returns its id. */
export async function openFailure(atMs: number): Promise<string> {
  const id = newTimeOrderedId(atMs);
  await env.DB.prepare(
    `INSERT INTO failures (id, created_at, job_id, kind, account, event_id, job, gig_ids, reason, attempts, last_error)
     VALUES (?1, ?2, ?3, 'fetch_gigs', ?4, 'evt', '{}', 3, 'permanent', 20, 'HTTP 500')`,
  )
    .bind(id, new Date(atMs).toISOString(), `job-${id}`, ACCOUNT)
    .run();
  return id;
}

/** An event row received at `atMs` with `status` (and, for accepted, queued or not). */
export async function eventAt(
  atMs: number,
  status: "accepted" | "invalid" | "recorded",
  enqueued = true,
): Promise<string> {
  const id = newTimeOrderedId(atMs);
  const sha = id.replaceAll("-", "").padEnd(64, "0");
  await env.DB.batch([
    env.DB.prepare("INSERT INTO event_bodies (sha256, body, first_received_at) VALUES (?1, ?2, ?3)").bind(
      sha,
      new Uint8Array([123, 125]),
      new Date(atMs).toISOString(),
    ),
    env.DB.prepare(
      `INSERT INTO events (id, received_at, event, status, body_sha256, body_bytes, enqueued_at)
       VALUES (?1, ?2, 'gigs.updated', ?3, ?4, 2, ?5)`,
    ).bind(id, new Date(atMs).toISOString(), status, sha, enqueued ? new Date(atMs).toISOString() : null),
  ]);
  return id;
}

/** A running backfill pass whose last checkpoint was at `progressMs`. */
export async function runningBackfill(progressMs: number, retryMs: number | null = null): Promise<void> {
  await env.DB.prepare(
    `INSERT INTO accounts (id, backfill_status, backfill_pass, backfill_started_ms, backfill_progress_ms, backfill_retry_ms)
     VALUES (?1, 'running', 'evt-1:0', ?2, ?2, ?3)
     ON CONFLICT (id) DO UPDATE SET backfill_status = 'running', backfill_progress_ms = ?2, backfill_retry_ms = ?3`,
  )
    .bind(ACCOUNT, progressMs, retryMs)
    .run();
}

export async function alertRows() {
  const { results } = await env.DB.prepare("SELECT * FROM alerts ORDER BY id").all<Record<string, unknown>>();
  return results;
}
