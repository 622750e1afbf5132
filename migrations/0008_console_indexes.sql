-- The operator console's screens read accounts by sync state (issue 14): which accounts carry an
-- error, and one backfill state page by page in id order, without scanning every account.
CREATE INDEX accounts_with_error ON accounts (last_error_at) WHERE last_error IS NOT NULL;
CREATE INDEX accounts_by_backfill_id ON accounts (backfill_status, id);
