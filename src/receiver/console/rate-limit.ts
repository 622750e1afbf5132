/**
 * Wrong admin tokens are rate-limited per IP with a counter in the isolate's memory. That is
 * enough here because the counter only has to stop a guessing loop from being cheap: the token
 * is a long random secret (32 bytes from `openssl rand`), which no rate of guessing can find, and
 * each isolate a guesser lands on still stops it after a few tries. Cloudflare's own rate-limiting
 * rules or Access mode are the tools for a determined, distributed attacker.
 * @module
 */

export const MAX_FAILURES = 5;
export const WINDOW_MS = 15 * 60_000;
/** Bounds the memory a flood of distinct IPs can take: the oldest entries go first. */
const MAX_TRACKED = 10_000;

interface Entry {
  failures: number;
  windowStartMs: number;
}

const entries = new Map<string, Entry>();

/** Seconds until `ip` may try again, or 0 if it may try now. */
export function retryAfterSeconds(ip: string, nowMs: number = Date.now()): number {
  const entry = entries.get(ip);
  if (!entry || nowMs - entry.windowStartMs >= WINDOW_MS) return 0;
  return entry.failures >= MAX_FAILURES ? Math.ceil((entry.windowStartMs + WINDOW_MS - nowMs) / 1000) : 0;
}

export function recordFailure(ip: string, nowMs: number = Date.now()): void {
  const entry = entries.get(ip);
  if (!entry || nowMs - entry.windowStartMs >= WINDOW_MS) {
    entries.delete(ip);
    if (entries.size >= MAX_TRACKED) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    entries.set(ip, { failures: 1, windowStartMs: nowMs });
    return;
  }
  entry.failures += 1;
}

/** A correct token clears the IP's count. */
export function clearFailures(ip: string): void {
  entries.delete(ip);
}

/** For tests: forget everything. */
export function resetRateLimit(): void {
  entries.clear();
}
