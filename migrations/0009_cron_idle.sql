-- Migration 0009: the every-minute cron reads O(1) rows when idle; drift means the latest pass.

-- Scheduled reconciliation reads accounts by one sargable key: the later of when a complete
-- listing last confirmed the account and when the cron last set it aside (queued a pass, so not
-- again for an hour; or found nothing to reconcile, so not again for a period). An account is due
-- once that key is a period old, so the cron's query is one index seek that stops at the first
-- account not due: when nothing is due it reads no account (the COALESCE on last_reconciled_ms it
-- replaces walked every account, and probed gigs for each).
ALTER TABLE accounts ADD COLUMN reconcile_hold_ms INTEGER;
CREATE INDEX accounts_reconcile_due
  ON accounts (MAX(COALESCE(last_reconciled_ms, 0), COALESCE(reconcile_hold_ms, 0)));

-- drift_found is now what the account's latest reconciliation pass found (reset when a new one
-- starts), so the drift alert resolves after a clean pass; drift_total keeps the running total.
ALTER TABLE accounts ADD COLUMN drift_total INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET drift_total = drift_found;
-- When the account's latest backfill pass finished (its confirmations done); NULL while it runs.
ALTER TABLE accounts ADD COLUMN backfill_finished_ms INTEGER;

DROP TRIGGER gigs_drift_insert;
DROP TRIGGER gigs_drift_update;
-- A finished pass (finishPassStatement sets backfill_finished_ms; a new pass clears it) counts
-- nothing more: later updates come from webhooks, not from the pass.
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
-- A new reconciliation pass starts counting from zero.
CREATE TRIGGER accounts_drift_reset AFTER UPDATE OF backfill_pass ON accounts
WHEN NEW.backfill_pass LIKE 'reconcile:%' AND NEW.backfill_pass IS NOT OLD.backfill_pass
BEGIN
  UPDATE accounts SET drift_found = 0 WHERE id = NEW.id;
END;

-- Small values the cron keeps between runs: the count of accounts to reconcile (refreshed daily,
-- the one query that reads every account), from which each run's share is derived.
CREATE TABLE cron_state (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL,
  at_ms INTEGER NOT NULL
);
