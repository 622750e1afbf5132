/**
 * Deletion asked for through the API (DELETE /api/accounts/{id}, /api/users/{id}): writes the audit
 * row and the purge marker in one transaction (from then on the account reads as deleted), then
 * queues the purge. Idempotent: asking again answers with the purge's progress and changes nothing.
 * @module
 */
import { describeError } from "../errors.ts";
import { newTimeOrderedId } from "../ids.ts";
import { sendJobs } from "../ingest.ts";
import type { Job } from "../jobs.ts";
import { logError, logInfo, logWarn } from "../log.ts";
import { CATALOG_SHARD, shardDb } from "../shards/bindings.ts";
import { lookupAccount } from "../shards/directory.ts";
import { auditStatement } from "./audit.ts";
import { purgeJob } from "./plan.ts";
import { markPurgeStatement, type PurgeProgress, type PurgeRequest, purgeShards, readPurge } from "./purge.ts";

export interface DeletionDeps {
  db: D1Database;
  jobs: Queue<Job>;
  /** The Worker's bindings: the account's shard(s) get the marker at once too. */
  bindings?: object;
}

export type AccountDeletion =
  | { outcome: "not_found"; account: string }
  | { outcome: "scheduled" | "deleted"; account: string; purge: PurgeProgress };

/** Accounts per user deleted by one call: far above what a person connects, and bounded. */
export const MAX_ACCOUNTS_PER_USER = 100;

export async function deleteAccount(
  deps: DeletionDeps,
  account: string,
  tokenRole: string,
  now: Date = new Date(),
): Promise<AccountDeletion> {
  const existing = await readPurge(deps.db, account);
  if (existing && existing.reason !== "retention") return describe(account, existing);
  const user = existing ? existing.user : await knownAccountUser(deps.db, account);
  if (user === undefined) return { outcome: "not_found", account };
  const nowMs = now.getTime();
  await deps.db.batch([
    auditStatement(deps.db, { action: "delete_account", reason: "api", tokenRole, account, user }, nowMs),
    markPurgeStatement(deps.db, { account, user, reason: "api", tokenRole }, nowMs),
  ]);
  await markShards(deps, { account, user, reason: "api", tokenRole }, nowMs);
  await queuePurge(deps, account, user, tokenRole, now);
  const purge = await readPurge(deps.db, account);
  return purge ? describe(account, purge) : { outcome: "not_found", account };
}

export interface UserDeletion {
  user: string;
  accounts: AccountDeletion[];
}

/** Deletes every account of `user` the mirror knows (accounts rows, live gigs, earlier purges). */
export async function deleteUser(
  deps: DeletionDeps,
  user: string,
  tokenRole: string,
  now: Date = new Date(),
): Promise<UserDeletion> {
  const { results } = await deps.db
    .prepare(
      `SELECT id FROM accounts WHERE user = ?1
       UNION SELECT account FROM directory WHERE user = ?1
       UNION SELECT account FROM purged_accounts WHERE user = ?1
       UNION SELECT DISTINCT account FROM gigs WHERE user = ?1 AND removed_at IS NULL
       LIMIT ?2`,
    )
    .bind(user, MAX_ACCOUNTS_PER_USER)
    .all<{ id: string }>();
  if (results.length > 0) {
    await auditStatement(
      deps.db,
      { action: "delete_user", reason: "api", tokenRole, user, detail: { accounts: results.map((r) => r.id) } },
      now.getTime(),
    ).run();
  }
  const accounts: AccountDeletion[] = [];
  for (const { id } of results) accounts.push(await deleteAccount(deps, id, tokenRole, now));
  return { user, accounts };
}

/**
 * The account's user if the mirror holds anything of it (null when no user is known), or
 * undefined when it holds nothing: then there is nothing to delete, and no marker is written
 * (a marker for an account never seen would silently refuse it forever).
 */
async function knownAccountUser(db: D1Database, account: string): Promise<string | null | undefined> {
  const row = await db
    .prepare(
      `SELECT (SELECT user FROM directory WHERE account = ?1) AS directory_user,
         (SELECT user FROM accounts WHERE id = ?1) AS account_user,
         (SELECT user FROM gigs WHERE account = ?1 AND user IS NOT NULL LIMIT 1) AS gig_user,
         (SELECT user FROM events WHERE account = ?1 AND user IS NOT NULL LIMIT 1) AS event_user,
         EXISTS (SELECT 1 FROM directory WHERE account = ?1)
           OR EXISTS (SELECT 1 FROM accounts WHERE id = ?1) OR EXISTS (SELECT 1 FROM gigs WHERE account = ?1)
           OR EXISTS (SELECT 1 FROM events WHERE account = ?1) AS known`,
    )
    .bind(account)
    .first<{
      directory_user: string | null;
      account_user: string | null;
      gig_user: string | null;
      event_user: string | null;
      known: number;
    }>();
  if (!row?.known) return undefined;
  return row.directory_user ?? row.account_user ?? row.gig_user ?? row.event_user ?? null;
}

/**
 * Marks the account on the shard(s) the directory places it in (both ends of a move), so reads
 * there see it deleted at once. Best effort: the catalog's marker is the record, and the purge
 * job marks every shard again before deleting anything, so a shard that fails here is only late.
 */
async function markShards(deps: DeletionDeps, request: PurgeRequest, nowMs: number): Promise<void> {
  if (!deps.bindings) return;
  try {
    const entry = await lookupAccount(deps.db, request.account);
    for (const name of purgeShards(entry)) {
      if (name === CATALOG_SHARD) continue;
      const shard = shardDb(deps.bindings, name);
      await markPurgeStatement(shard, request, nowMs).run();
    }
  } catch (error) {
    logWarn("purge marker not written on a shard yet; the purge job writes it", {
      account: request.account,
      error: describeError(error),
    });
  }
}

/**
 * Queues the purge. If the queue refuses, the marker already stands (the account reads as deleted)
 * and the cron revives purges without progress, so the answer is still "scheduled".
 */
async function queuePurge(
  deps: DeletionDeps,
  account: string,
  user: string | null,
  tokenRole: string,
  now: Date,
): Promise<void> {
  const id = newTimeOrderedId(now.getTime());
  const job = purgeJob({
    account,
    user,
    reason: "api",
    tokenRole,
    jobId: `purge:${id}`,
    eventId: id,
    receivedAt: now.toISOString(),
  });
  try {
    await sendJobs(deps.jobs, [job]);
    logInfo("purge queued", { account, reason: "api" });
  } catch (error) {
    logError("purge not queued; the cron will start it", { account, error: describeError(error) });
  }
}

function describe(account: string, purge: PurgeProgress): AccountDeletion {
  return { outcome: purge.completed_at ? "deleted" : "scheduled", account, purge };
}
