-- Migration 0010: accounts removed before this release get purged.
-- Before it, `accounts.removed` was stored as 'recorded' with no work (jobs 0, enqueued_at set), so
-- nothing ever purged the account. Turned into unsent accepted events, the cron's outbox sweep
-- plans and queues their purge (from the stored body) like any accepted event's work.
UPDATE events SET status = 'accepted', jobs = 1, enqueued_at = NULL
WHERE event = 'accounts.removed' AND status = 'recorded' AND account IS NOT NULL;
