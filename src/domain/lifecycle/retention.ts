/**
 * Optional gig retention (GIG_RETENTION_DAYS): gigs (live or tombstoned) that started before the
 * horizon, and accounts with no webhook for that long are deleted; accounts through the
 * purge (reason `retention`), gigs in bounded chunks with an audit row per chunk. Event retention
 * (EVENT_RETENTION_DAYS) is separate and unchanged.
 * @module
 */

import { toEpochMs } from "../gig-schema.ts";
import type { ObservedGig } from "../storage/gigs.ts";
import { auditStatement } from "./audit.ts";
import { notPurgedSql } from "./purged.ts";

export const RETENTION_GIG_CHUNK = 1000;

/** Gigs a listing or fetch may store: none that retention would delete again at once. */
export function withinRetention(gigs: ObservedGig[], minStartMs: number | null): ObservedGig[] {
  if (minStartMs === null) return gigs;
  return gigs.filter(({ gig }) => {
    const start = toEpochMs(gig.start_datetime);
    return start === null || start >= minStartMs;
  });
}

/** Deletes one chunk of a shard's expired gigs and audits it in the catalog; returns how many went. */
export async function pruneExpiredGigs(
  db: D1Database,
  catalog: D1Database,
  shard: string,
  cutoffMs: number,
  nowMs: number,
): Promise<number> {
  const [live, tombstones] = await db.batch([
    db
      .prepare("DELETE FROM gigs WHERE id IN (SELECT id FROM gigs WHERE removed_at IS NULL AND start_ms < ?1 LIMIT ?2)")
      .bind(cutoffMs, RETENTION_GIG_CHUNK),
    db
      .prepare(
        "DELETE FROM gigs WHERE id IN (SELECT id FROM gigs WHERE removed_at IS NOT NULL AND start_ms < ?1 LIMIT ?2)",
      )
      .bind(cutoffMs, RETENTION_GIG_CHUNK),
  ]);
  const deleted = (live?.meta.changes ?? 0) + (tombstones?.meta.changes ?? 0);
  if (deleted > 0) {
    await auditStatement(
      catalog,
      {
        action: "retention_gigs",
        reason: "retention",
        detail: { gigs: deleted, before: new Date(cutoffMs).toISOString(), shard },
      },
      nowMs,
    ).run();
  }
  return deleted;
}

/** Accounts with no webhook since `cutoffIso` and not already purged, oldest first. */
export async function idleAccounts(
  db: D1Database,
  cutoffIso: string,
  limit: number,
): Promise<{ id: string; user: string | null }[]> {
  const { results } = await db
    .prepare(
      `SELECT a.id, a.user FROM accounts a WHERE a.last_webhook_at < ?1 AND ${notPurgedSql("a.id")}
       ORDER BY a.last_webhook_at LIMIT ?2`,
    )
    .bind(cutoffIso, limit)
    .all<{ id: string; user: string | null }>();
  return results;
}
