/**
 * A cheap count of webhooks refused for a missing or wrong signature, for the signature-failure
 * rule. A D1 write per refused request would hand anyone who can reach the URL a way to load D1
 * (and cost money) at will, so each isolate counts in memory and flushes its count into a
 * per-minute bucket row (`signature_failures`, an upsert that adds) at most once a minute:
 * the first refusal an isolate sees is written at once (one forged request already shows), the
 * rest of a burst is added one minute later, by the next refusal after that minute.
 *
 * Limits, by design: (1) counts are a lower bound: what an isolate holds when it is evicted, or
 * after a burst's last flush with no refusal since, is never written; (2) a flush is dated to the
 * minute it happens, so a count may land up to a minute late; (3) D1 writes are bounded by the
 * number of isolates (Cloudflare runs many under load) times one a minute, not by the attack's
 * rate. The rule compares a 15-minute sum with a threshold, which all three leave meaningful.
 * @module
 */

const FLUSH_INTERVAL_MS = 60_000;

let pending = 0;
let lastFlushMs = Number.NEGATIVE_INFINITY;

/**
 * Counts one refused signature; returns the statement to run (in `waitUntil`) when a flush is
 * due, else null. The count is taken out of the isolate before the write: should the write fail,
 * those refusals are lost, which beats retrying a write in a request we refused.
 */
export function countSignatureFailure(db: D1Database, nowMs: number): D1PreparedStatement | null {
  pending++;
  if (nowMs - lastFlushMs < FLUSH_INTERVAL_MS) return null;
  const count = pending;
  pending = 0;
  lastFlushMs = nowMs;
  const minuteMs = nowMs - (nowMs % 60_000);
  return db
    .prepare(
      `INSERT INTO signature_failures (minute_ms, count) VALUES (?1, ?2)
       ON CONFLICT (minute_ms) DO UPDATE SET count = signature_failures.count + excluded.count`,
    )
    .bind(minuteMs, count);
}

/** Test-only: forget the isolate's state, as a fresh isolate would start. */
export function resetSignatureCounter(): void {
  pending = 0;
  lastFlushMs = Number.NEGATIVE_INFINITY;
}
