/**
 * The ingest invariant: after redelivery, the event log is exactly what the deliveries and the
 * injected faults account for. Every 202 left one event row; a 503 came only from an injected D1
 * fault and left no row, unless the write committed and only its answer was lost (the outbox
 * keeps that row and the cron sends its work; a redelivery is filed as its duplicate); one row
 * per body is the original and every other row is marked a duplicate of a row with the same body;
 * every accepted event's jobs reached the queue.
 * @module
 */
import { createHash } from "node:crypto";
import type { Delivery, Pipeline } from "./pipeline.ts";

export interface EventReport {
  /** Rows the deliveries account for. */
  expected: number;
  recorded: number;
  /** Deliveries answered 202 whose event row is missing. */
  lost: number;
  problems: string[];
}

interface EventRow {
  id: string;
  body_sha256: string;
  duplicate_of: string | null;
  status: string;
  enqueued_at: string | null;
  account: string | null;
}

/** What one delivery attempt did to the event log, from its binding calls in order. */
export interface AttemptEffect {
  /** The event insert took effect (passed, or committed with its answer lost). */
  row: boolean;
  /**
   * For a failed attempt that left a row: the insert committed and only its answer was lost, so
   * the outbox keeps it. A row left without such a reason is a bug.
   */
  explained: boolean;
  /** A D1 fault was injected into the attempt: the only thing that may answer 503. */
  faulted: boolean;
}

export function attemptEffect(status: number, calls: readonly string[]): AttemptEffect {
  let row = false;
  let explained = false;
  let faulted = false;
  for (const call of calls) {
    const [binding, action, effects = ""] = call.split(":");
    if (binding?.startsWith("DB.") && action !== "pass") faulted = true;
    if (binding !== "DB.batch" || !effects.split("+").includes("insert-events")) continue;
    if (action === "pass" || action === "fail-after") row = true;
    if (action === "fail-after") explained = true;
  }
  return { row: status === 202 || row, explained: status === 202 || explained, faulted };
}

/** Checks the event rows of `accounts` (all, if omitted) against `deliveries`. */
export async function checkEvents(
  p: Pipeline,
  deliveries: readonly Delivery[],
  accounts?: readonly string[],
): Promise<EventReport> {
  const wanted = accounts ? new Set(accounts) : null;
  const { results } = await p.stack.db
    .prepare("SELECT id, body_sha256, duplicate_of, status, enqueued_at, account, replay_of FROM events ORDER BY id")
    .all<EventRow & { replay_of: string | null }>();
  const ofAccounts = results.filter((r) => !wanted || (r.account !== null && wanted.has(r.account)));
  // Replays are operators' doing, not deliveries: they only need their work sent.
  const rows = ofAccounts.filter((r) => r.replay_of === null);
  const replayProblems = ofAccounts
    .filter((r) => r.replay_of !== null && r.status === "accepted" && r.enqueued_at === null)
    .map((r) => `replay ${r.id} was accepted but its jobs are not marked queued`);
  const bySha = new Map<string, EventRow[]>();
  for (const row of rows) bySha.set(row.body_sha256, [...(bySha.get(row.body_sha256) ?? []), row]);

  const expectedBySha = new Map<string, { rows: number; accepted: number }>();
  const unexplained: string[] = [];
  for (const d of deliveries) {
    const sha = createHash("sha256").update(d.body).digest("hex");
    const entry = expectedBySha.get(sha) ?? { rows: 0, accepted: 0 };
    d.calls.forEach((calls, i) => {
      const status = i === d.calls.length - 1 ? d.status : 503;
      const effect = attemptEffect(status, calls);
      if (effect.row) entry.rows++;
      if (status !== 202 && !effect.faulted)
        unexplained.push(`a delivery was answered ${status} with no D1 fault injected`);
      if (effect.row && !effect.explained) unexplained.push(`a delivery answered ${status} left an event row behind`);
    });
    if (d.status === 202) entry.accepted++;
    expectedBySha.set(sha, entry);
  }

  const problems: string[] = [...new Set(unexplained), ...replayProblems];
  const report: EventReport = { expected: 0, recorded: rows.length, lost: 0, problems };
  for (const [sha, expected] of expectedBySha) {
    report.expected += expected.rows;
    const found = bySha.get(sha) ?? [];
    if (found.length !== expected.rows) {
      problems.push(
        `body ${sha.slice(0, 12)}: ${found.length} event rows, the deliveries account for ${expected.rows}`,
      );
    }
    report.lost += Math.max(0, expected.accepted - found.length);
    const ids = new Set(found.map((r) => r.id));
    const originals = found.filter((r) => r.duplicate_of === null);
    if (found.length > 0 && originals.length !== 1) {
      problems.push(`body ${sha.slice(0, 12)}: ${originals.length} rows not marked as duplicates (want exactly 1)`);
    }
    for (const r of found) {
      if (r.duplicate_of !== null && !ids.has(r.duplicate_of)) {
        problems.push(`event ${r.id} is marked a duplicate of ${r.duplicate_of}, which is not an event of this body`);
      }
      if (r.status === "accepted" && r.enqueued_at === null) {
        problems.push(`event ${r.id} was accepted but its jobs are not marked queued`);
      }
    }
  }
  for (const [sha, found] of bySha) {
    if (!expectedBySha.has(sha)) problems.push(`${found.length} event row(s) for a body that was never delivered`);
  }
  return report;
}
