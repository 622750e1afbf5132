/**
 * Freshness headers on every successful /v2/gigs answer, so a client can refuse stale data without
 * a second call; the body stays exactly Argyle's:
 *   X-Mirror-Synced-At: <ISO time> | never   (last complete listing: backfill or reconciliation)
 *   X-Mirror-Backfill: running | idle
 *   X-Mirror-Open-Failures: <n>
 *   X-Mirror-Scope: account | user | all     (what the three describe; see domain/lifecycle/freshness.ts)
 * The routes read them alongside the gigs themselves, from the same shards, so they add no round
 * trip to a list's latency. Errors (400, 404) carry none.
 * @module
 */
import type { Context } from "hono";
import type { Freshness } from "../domain/lifecycle/freshness.ts";

export function setFreshnessHeaders(c: Context, f: Freshness): void {
  c.header("X-Mirror-Synced-At", f.syncedAt ?? "never");
  c.header("X-Mirror-Backfill", f.backfill);
  c.header("X-Mirror-Open-Failures", String(f.openFailures));
  c.header("X-Mirror-Scope", f.scope);
}
