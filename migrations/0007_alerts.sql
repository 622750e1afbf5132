-- Migration 0007: alerts (the watchdog the consumer's cron runs; see src/domain/alerts/).

-- One row per alert key (rule + scope), kept across incidents so a condition that comes back is
-- a re-open of the same alert. status: pending (the condition holds, not yet for ALERT_CHECKS
-- checks) → open → acknowledged → resolved. hits / clears count consecutive checks with / without
-- the condition: that is the damping.
CREATE TABLE alerts (
  id TEXT PRIMARY KEY,                   -- time-ordered like events.id: when the key first fired
  rule TEXT NOT NULL,
  scope TEXT NOT NULL DEFAULT '',        -- '' for the whole mirror, else e.g. an account id
  status TEXT NOT NULL CHECK (status IN ('pending', 'open', 'acknowledged', 'resolved')),
  hits INTEGER NOT NULL DEFAULT 0,
  clears INTEGER NOT NULL DEFAULT 0,
  opens INTEGER NOT NULL DEFAULT 0,      -- times opened: above 1, a notice says "re-opened"
  summary TEXT NOT NULL,                 -- what is wrong, in one sentence (no secrets)
  next_step TEXT NOT NULL,               -- the API call or config that fixes it
  affected INTEGER NOT NULL DEFAULT 0,
  since TEXT,                            -- when the condition began, as far as the rule can tell
  marker TEXT,                           -- newest item the alert has covered (e.g. a failure id)
  opened_at TEXT,
  acknowledged_at TEXT,
  resolved_at TEXT,
  checked_at TEXT NOT NULL
);
CREATE UNIQUE INDEX alerts_by_key ON alerts (rule, scope);
CREATE INDEX alerts_live ON alerts (rule, scope) WHERE status <> 'resolved';
CREATE INDEX alerts_by_status ON alerts (status, id);

-- Notifications of transitions, written in the same batch as the transition and sent by the cron
-- (an outbox): a failed send is retried on the next run, and a sent one is never sent again.
CREATE TABLE alert_notifications (
  id TEXT PRIMARY KEY,                   -- time-ordered; also the receiver's idempotency key
  alert_id TEXT NOT NULL,
  transition TEXT NOT NULL CHECK (transition IN ('opened', 'reopened', 'resolved')),
  message TEXT NOT NULL,                 -- JSON: the alert as it was at the transition
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  sent_at TEXT                           -- set once delivered (or skipped: no ALERT_WEBHOOK_URL)
);
CREATE INDEX alert_notifications_unsent ON alert_notifications (id) WHERE sent_at IS NULL;

-- Rejected webhook signatures per minute, flushed by each receiver isolate at most once a minute
-- (not one D1 write per rejected request). minute_ms = the minute's start, epoch milliseconds.
CREATE TABLE signature_failures (
  minute_ms INTEGER PRIMARY KEY,
  count INTEGER NOT NULL
);

-- When a retrying job first failed: the age of unfinished work (the backlog rule). Set on the
-- first attempt only; rows older than this migration have none.
ALTER TABLE job_attempts ADD COLUMN first_failed_ms INTEGER;
-- Live retrying jobs by their latest attempt, covering what the backlog and auth rules read.
-- Replaces 0004's index of the same name (updated_at only) with one that also covers the rules.
DROP INDEX IF EXISTS job_attempts_by_updated;
CREATE INDEX job_attempts_by_updated ON job_attempts (updated_at, reason, first_failed_ms);
