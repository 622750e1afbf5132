/**
 * The audit log: who deleted or changed what, and why. Append-only and never pruned (kept at
 * least 3 years, for the lender's disposal obligations); rows hold ids and counts, never gig data.
 * @module
 */
import { newTimeOrderedId } from "../ids.ts";

export type AuditAction =
  | "purge"
  | "delete_account"
  | "delete_user"
  | "replay"
  | "redrive"
  | "retention_gigs"
  | "acknowledge"
  | "move_account"
  | "shard_status";
export type PurgeReason = "webhook" | "api" | "retention";

export interface AuditEntry {
  action: AuditAction;
  reason?: PurgeReason | null;
  tokenRole?: string | null;
  account?: string | null;
  user?: string | null;
  /** The event, failure or alert an API call acted on. */
  target?: string | null;
  detail?: Record<string, string | number | boolean | null | readonly string[]> | null;
}

export function auditStatement(
  db: D1Database,
  entry: AuditEntry,
  nowMs: number = Date.now(),
  options: { onlyIfChanged?: boolean } = {},
): D1PreparedStatement {
  // `onlyIfChanged`: placed right after a guarded write in the same batch, the row is written only
  // if that write changed something (`changes()`), so a request that lost a race records nothing.
  const values = "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9";
  return db
    .prepare(
      `INSERT INTO audit_log (id, at, action, reason, token_role, account, user, target, detail)
       ${options.onlyIfChanged ? `SELECT ${values} WHERE changes() > 0` : `VALUES (${values})`}`,
    )
    .bind(
      newTimeOrderedId(nowMs),
      new Date(nowMs).toISOString(),
      entry.action,
      entry.reason ?? null,
      entry.tokenRole ?? null,
      entry.account ?? null,
      entry.user ?? null,
      entry.target ?? null,
      entry.detail ? JSON.stringify(entry.detail) : null,
    );
}
