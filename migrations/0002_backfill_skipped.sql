-- Migration 0002: gigs a backfill pass could not store (Argyle served them invalid). A pass that
-- skipped any is not a complete listing, so it must not tombstone the gigs it did not see.
ALTER TABLE accounts ADD COLUMN backfill_skipped INTEGER NOT NULL DEFAULT 0;
