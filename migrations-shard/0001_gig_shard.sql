-- Shard migration 0001: a gig shard's schema. Append-only: never edit an applied migration.
-- A gig shard holds what grows with gigs: gig rows and per-account sync state, for the accounts
-- the catalog's directory places here. Every shard database (SHARD_1, SHARD_2, ...) gets these.
-- schema.shard.sql must always equal the result of applying them (test/node/schema.test.ts).
-- The DDL of each table is the same as the catalog's legacy copy (migrations/), so the catalog can
-- serve as shard "DB" for accounts stored before sharding, until they are moved.

-- The mirror: one row per gig ever seen, holding the object exactly as Argyle returned it.
CREATE TABLE gigs (
  id TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  user TEXT,                             -- from the webhook: the gig object itself has no user field
  employer TEXT,
  status TEXT,
  type TEXT,
  start_datetime TEXT,
  end_datetime TEXT,
  start_ms INTEGER,
  end_ms INTEGER,
  updated_at TEXT,
  updated_ms INTEGER,
  data TEXT,                             -- the gig JSON as fetched; null for a tombstone never fetched
  synced_ms INTEGER NOT NULL,            -- when we last learned this gig's state (fetch or removal)
  fetched_at TEXT,
  removed_at TEXT                        -- set = tombstone; a later fetch that finds the gig clears it
);
-- Newest start first, then id, gigs without a start last: GET /v2/gigs's order, as Argyle's (0003).
CREATE INDEX gigs_by_account_newest ON gigs (account, start_ms DESC, id) WHERE removed_at IS NULL;
CREATE INDEX gigs_by_user_newest ON gigs (user, start_ms DESC, id) WHERE removed_at IS NULL;
CREATE INDEX gigs_by_newest ON gigs (start_ms DESC, id) WHERE removed_at IS NULL;
CREATE INDEX gigs_by_account_removed ON gigs (account, removed_at);
-- An account's gigs in id order: the key a move copies and verifies by, page by page.
CREATE INDEX gigs_by_account_id ON gigs (account, id);

-- Per-account sync state, written by the consumer.
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  user TEXT,
  available_count INTEGER,               -- Argyle's count from the newest webhook seen
  last_webhook_at TEXT,
  last_fetch_at TEXT,                    -- last successful Argyle request for this account
  backfill_status TEXT NOT NULL DEFAULT 'none'
    CHECK (backfill_status IN ('none', 'running', 'done', 'failed')),
  backfill_pass TEXT,                    -- job id of the pass in progress: older passes stop
  backfill_cursor TEXT,                  -- Argyle's `next` URL to resume from (checkpoint)
  backfill_pages INTEGER NOT NULL DEFAULT 0,
  backfill_gigs INTEGER NOT NULL DEFAULT 0,
  backfill_started_ms INTEGER,
  backfill_progress_ms INTEGER,          -- last checkpoint; the cron revives passes stalled 15 min
  backfill_completed_at TEXT,
  last_error TEXT,
  last_error_at TEXT,
  backfill_skipped INTEGER NOT NULL DEFAULT 0, -- gigs the pass could not store: no reconciliation
  backfill_retry_ms INTEGER,                   -- the pass's message is due again then (after a failure)
  last_reconciled_ms INTEGER,                  -- a complete reconciliation listing last confirmed the account
  reconcile_queued_ms INTEGER,                 -- when the cron last queued a reconciliation
  drift_found INTEGER NOT NULL DEFAULT 0,      -- gig differences the latest reconciliation pass found (missed webhooks)
  reconcile_hold_ms INTEGER,                   -- the cron set the account aside then (queued it, or nothing to reconcile)
  drift_total INTEGER NOT NULL DEFAULT 0,      -- gig differences every reconciliation pass found, in total
  backfill_finished_ms INTEGER                 -- the latest pass finished then (confirmations done); NULL while it runs
);
CREATE INDEX accounts_by_backfill ON accounts (backfill_status, backfill_progress_ms);
CREATE INDEX accounts_by_reconciled ON accounts (last_reconciled_ms);
-- Scheduled reconciliation's one sargable key: due once it is a period old (see migration 0009).
CREATE INDEX accounts_reconcile_due
  ON accounts (MAX(COALESCE(last_reconciled_ms, 0), COALESCE(reconcile_hold_ms, 0)));
-- Accounts whose reconciliation found drift: the watchdog's drift rule reads only these.
CREATE INDEX accounts_by_drift ON accounts (drift_found) WHERE drift_found > 0;
CREATE INDEX accounts_by_user ON accounts (user);
CREATE INDEX accounts_by_webhook ON accounts (last_webhook_at);
-- GIG_RETENTION_DAYS deletes tombstones by start too (a tombstone keeps the last object fetched).
CREATE INDEX gigs_removed_by_start ON gigs (start_ms) WHERE removed_at IS NOT NULL;
-- The console: accounts carrying an error, and one backfill state page by page in id order.
CREATE INDEX accounts_with_error ON accounts (last_error_at) WHERE last_error IS NOT NULL;
CREATE INDEX accounts_by_backfill_id ON accounts (backfill_status, id);

-- One row per account being or having been purged (here: the marker every write checks). Written first, before any row is deleted, so
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

-- Accounts whose rows here must not change: 'moving' while a move copies them to another shard,
-- 'moved' once the directory points elsewhere. Every write of an account's gigs and sync state
-- checks this in the same statement, so a job holding a stale directory entry stores nothing
-- here, sees the fence in its own transaction, and is deferred to read the directory again.
CREATE TABLE account_fences (
  account TEXT PRIMARY KEY,
  reason TEXT NOT NULL CHECK (reason IN ('moving', 'moved')),
  shard TEXT NOT NULL,                   -- where the account is going or went
  since_ms INTEGER NOT NULL
);

-- A reconciliation pass (job ids 'reconcile:…') counts every gig it adds, changes or tombstones.
-- Triggers, so the backfill path stays the one path that repairs; a webhook's fetch landing while
-- the pass runs is counted too (an overcount, never a missed difference). drift_found is the
-- latest pass's count (reset when a new reconciliation pass starts), drift_total all passes'.
CREATE TRIGGER gigs_drift_insert AFTER INSERT ON gigs
BEGIN
  UPDATE accounts SET drift_found = drift_found + 1, drift_total = drift_total + 1
  WHERE id = NEW.account AND backfill_status = 'running' AND backfill_pass LIKE 'reconcile:%';
END;
CREATE TRIGGER gigs_drift_update AFTER UPDATE OF updated_ms, removed_at ON gigs
WHEN OLD.updated_ms IS NOT NEW.updated_ms OR OLD.removed_at IS NOT NEW.removed_at
BEGIN
  UPDATE accounts SET drift_found = drift_found + 1, drift_total = drift_total + 1
  WHERE id = NEW.account AND backfill_pass LIKE 'reconcile:%'
    AND (backfill_status = 'running' OR (backfill_status = 'done' AND backfill_finished_ms IS NULL));
END;
CREATE TRIGGER accounts_drift_reset AFTER UPDATE OF backfill_pass ON accounts
WHEN NEW.backfill_pass LIKE 'reconcile:%' AND NEW.backfill_pass IS NOT OLD.backfill_pass
BEGIN
  UPDATE accounts SET drift_found = 0 WHERE id = NEW.id;
END;
