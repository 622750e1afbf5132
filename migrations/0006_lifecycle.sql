-- Migration 0006: data lifecycle (issue 12): account purges, the audit log, scheduled reconciliation.

-- One row per account being or having been purged. Written first, before any row is deleted, so
-- the account reads as deleted at once (reads and the consumer's writes check it); the chunks of
-- the purge then run against it, and it records their progress, so a crash resumes where it stopped.
CREATE TABLE purged_accounts (
  account TEXT PRIMARY KEY,
  user TEXT,
  reason TEXT NOT NULL CHECK (reason IN ('webhook', 'api', 'retention')),
  token_role TEXT,                       -- the API token's role for reason = 'api'
  requested_at TEXT NOT NULL,
  progress_ms INTEGER NOT NULL,          -- last chunk; the cron revives purges stalled 15 minutes
  completed_at TEXT,
  gigs_deleted INTEGER NOT NULL DEFAULT 0,
  events_deleted INTEGER NOT NULL DEFAULT 0,
  bodies_deleted INTEGER NOT NULL DEFAULT 0,
  failures_deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX purged_accounts_pending ON purged_accounts (progress_ms) WHERE completed_at IS NULL;

-- Scratch space inside one purge transaction: the bodies of the events a chunk deletes, so only
-- those no other event still uses are deleted. Always empty between transactions.
CREATE TABLE purge_bodies (
  sha256 TEXT PRIMARY KEY
);

-- Who deleted or changed what, kept for at least 3 years: nothing prunes this table. No gig data.
CREATE TABLE audit_log (
  id TEXT PRIMARY KEY,                   -- time-ordered like events.id
  at TEXT NOT NULL,
  action TEXT NOT NULL,                  -- purge | delete_account | delete_user | replay | redrive | retention_gigs
  reason TEXT,                           -- webhook | api | retention
  token_role TEXT,                       -- admin | legacy (the old API_TOKEN) for API calls
  account TEXT,
  user TEXT,
  target TEXT,                           -- the event or failure id an API call acted on
  detail TEXT                            -- JSON: counts deleted, outcome
);
CREATE INDEX audit_by_account ON audit_log (account, id);

-- Scheduled reconciliation: when a complete listing last confirmed the account, when the cron last
-- queued one, and how many gig differences reconciliation passes found (webhooks that never came).
ALTER TABLE accounts ADD COLUMN last_reconciled_ms INTEGER;
ALTER TABLE accounts ADD COLUMN reconcile_queued_ms INTEGER;
ALTER TABLE accounts ADD COLUMN drift_found INTEGER NOT NULL DEFAULT 0;
CREATE INDEX accounts_by_reconciled ON accounts (last_reconciled_ms);
-- Accounts whose reconciliation found drift: the watchdog's drift rule reads only these.
CREATE INDEX accounts_by_drift ON accounts (drift_found) WHERE drift_found > 0;
CREATE INDEX accounts_by_user ON accounts (user);
CREATE INDEX accounts_by_webhook ON accounts (last_webhook_at);
-- GIG_RETENTION_DAYS deletes tombstones by start too (a tombstone keeps the last object fetched).
CREATE INDEX gigs_removed_by_start ON gigs (start_ms) WHERE removed_at IS NOT NULL;

-- A reconciliation pass (job ids 'reconcile:…') counts every gig it adds, changes or tombstones.
-- Triggers, so the backfill path stays the one path that repairs; a webhook's fetch landing while
-- the pass runs is counted too (an overcount, never a missed difference).
CREATE TRIGGER gigs_drift_insert AFTER INSERT ON gigs
BEGIN
  UPDATE accounts SET drift_found = drift_found + 1
  WHERE id = NEW.account AND backfill_status = 'running' AND backfill_pass LIKE 'reconcile:%';
END;
CREATE TRIGGER gigs_drift_update AFTER UPDATE OF updated_ms, removed_at ON gigs
WHEN OLD.updated_ms IS NOT NEW.updated_ms OR OLD.removed_at IS NOT NEW.removed_at
BEGIN
  UPDATE accounts SET drift_found = drift_found + 1
  WHERE id = NEW.account AND backfill_pass LIKE 'reconcile:%'
    AND (backfill_status = 'running' OR (backfill_status = 'done' AND COALESCE(last_reconciled_ms, -1) < backfill_started_ms));
END;
