-- Migration 0002: two facts about a backfill pass.
-- backfill_skipped: gigs the pass could not store (Argyle served them invalid). A pass that
--   skipped any is not a complete listing, so it must not tombstone the gigs it did not see.
-- backfill_retry_ms: when the pass's message is due again after a failure, so the cron does not
--   mistake a pass waiting out a long backoff for a stalled one.
ALTER TABLE accounts ADD COLUMN backfill_skipped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN backfill_retry_ms INTEGER;
