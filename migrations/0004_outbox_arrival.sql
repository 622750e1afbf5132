-- Migration 0004: the receiver as an outbox, jobs dated by arrival, and an idle cron that reads nothing.
-- arrived_at: when the webhook behind this row first arrived. A delivery's own received_at; a
--   replay's is the replayed event's arrival, so replaying old work cannot rewind newer state.
--   Every job planned from the row carries it as its received_at (src/domain/job-dating.ts).
-- job_attempts_by_updated: the cron prunes attempt logs by age without scanning the table.
ALTER TABLE events ADD COLUMN arrived_at TEXT;
UPDATE events SET arrived_at = COALESCE((SELECT o.received_at FROM events o WHERE o.id = events.replay_of), received_at);
CREATE INDEX job_attempts_by_updated ON job_attempts (updated_at);
