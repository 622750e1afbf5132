-- Migration 0010: accounts removed before this release get purged; replays looked up by original.
-- Before it, `accounts.removed` was stored as 'recorded' with no work (jobs 0, enqueued_at set), so
-- nothing ever purged the account. Turned into unsent accepted events, the cron's outbox sweep
-- plans and queues their purge (from the stored body) like any accepted event's work.
UPDATE events SET status = 'accepted', jobs = 1, enqueued_at = NULL
WHERE event = 'accounts.removed' AND status = 'recorded' AND account IS NOT NULL;

-- Bulk "replay all invalid" skips originals whose replay was accepted: looked up by replay_of.
CREATE INDEX events_by_replay_of ON events (replay_of) WHERE replay_of IS NOT NULL;
