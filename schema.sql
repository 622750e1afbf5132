-- The catalog database's complete schema (binding DB), shared by the receiver and consumer Workers:
-- events, raw bodies, the outbox, failures, the directory of accounts to shards, audit and alerts.
-- Gig rows and per-account sync state live in the gig shards: schema.shard.sql. The gigs and
-- accounts tables below hold only accounts stored before sharding (migration 0011: shard "DB").
-- migrations/ holds the same schema as numbered, append-only steps (what `wrangler d1 migrations
-- apply` runs); test/node/schema.test.ts proves that applying them yields exactly this file.
-- Times are ISO 8601 UTC text for people; *_ms columns are epoch milliseconds for comparisons,
-- because Argyle's timestamps vary in precision and string order is not time order.

-- Raw webhook bodies, stored once per distinct body (duplicates and replays share a row).
CREATE TABLE event_bodies (
  sha256 TEXT PRIMARY KEY,               -- lowercase hex SHA-256 of the exact bytes received
  body BLOB NOT NULL,                    -- the exact bytes (not necessarily valid UTF-8 or JSON)
  first_received_at TEXT NOT NULL
);

-- One row per correctly signed delivery, and per replay. Unsigned requests are never stored.
CREATE TABLE events (
  id TEXT PRIMARY KEY,                   -- time-ordered (UUIDv7 layout): id order is arrival order
  received_at TEXT NOT NULL,
  event TEXT,                            -- e.g. "gigs.updated"; null when the body is not an envelope
  subscription TEXT,                     -- the envelope's "name": Argyle's subscription name
  account TEXT,
  user TEXT,
  status TEXT NOT NULL CHECK (status IN ('accepted', 'recorded', 'invalid')),
  issues TEXT,                           -- JSON array of validation issues when status = 'invalid'
  available_count INTEGER,
  item_count INTEGER,                    -- added_count / updated_count / removed_count
  window_from TEXT,                      -- added_from / updated_from / removed_from
  window_to TEXT,
  days_synced INTEGER,
  gig_ids INTEGER NOT NULL DEFAULT 0,    -- distinct gig IDs in the payload
  jobs INTEGER NOT NULL DEFAULT 0,       -- queue messages this delivery produced
  body_sha256 TEXT NOT NULL REFERENCES event_bodies (sha256),
  body_bytes INTEGER NOT NULL,
  duplicate_of TEXT,                     -- first event with the same body, if any
  replay_of TEXT,                        -- the event this row replays (POST /api/events/{id}/replay)
  enqueued_at TEXT,                      -- set once its jobs are on the queue; null + 'accepted' = the outbox sends it
  arrived_at TEXT                        -- when its webhook first arrived (a replay: the original's); dates its jobs
);
CREATE INDEX events_by_event ON events (event, id);
CREATE INDEX events_by_account ON events (account, id);
CREATE INDEX events_by_status ON events (status, id);
CREATE INDEX events_by_replay_of ON events (replay_of) WHERE replay_of IS NOT NULL;
CREATE INDEX events_by_body ON events (body_sha256, id);
CREATE INDEX events_not_enqueued ON events (id) WHERE status = 'accepted' AND enqueued_at IS NULL;

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

-- Attempts of jobs that failed at least once: what the dead-letter consumer reports.
CREATE TABLE job_attempts (
  job_id TEXT PRIMARY KEY,
  attempts INTEGER NOT NULL,
  reason TEXT NOT NULL,                  -- transient | rate_limited | auth | permanent
  last_error TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  first_failed_ms INTEGER                -- when the job first failed: the backlog's age
);
CREATE INDEX job_attempts_by_updated ON job_attempts (updated_at, reason, first_failed_ms);

-- Work that could not be done: recorded by the dead-letter consumer, redriven by the API.
CREATE TABLE failures (
  id TEXT PRIMARY KEY,                   -- time-ordered like events.id
  created_at TEXT NOT NULL,
  job_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  account TEXT,
  event_id TEXT,
  job TEXT NOT NULL,                     -- the queue message body to redrive (narrowed to what is missing)
  gig_ids INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'redriven')),
  redriven_at TEXT
);
CREATE UNIQUE INDEX failures_by_job ON failures (job_id);
CREATE INDEX failures_by_status ON failures (status, id);
CREATE INDEX failures_by_account ON failures (account, status);

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

-- Small values the cron keeps between runs: the count of accounts to reconcile (refreshed daily).
CREATE TABLE cron_state (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL,
  at_ms INTEGER NOT NULL
);

-- Where each account lives. Written by the consumer when it first sees the account; changed only
-- by a move: 'copying' (reads and writes still go to `shard`, which is fenced) then 'cleanup'
-- (`shard` is the new home; `move_from` is emptied after a grace period).
CREATE TABLE directory (
  account TEXT PRIMARY KEY,
  shard TEXT NOT NULL,                   -- binding name of the home shard, e.g. SHARD_2 (or DB: legacy)
  user TEXT,
  placed_ms INTEGER NOT NULL,
  move_state TEXT CHECK (move_state IN ('copying', 'cleanup')),
  move_from TEXT,                        -- the shard being emptied during 'cleanup'
  move_to TEXT,                          -- the shard being filled during 'copying'
  move_id TEXT,                          -- the move's job id: a stale move message changes nothing
  move_cursor TEXT,                      -- last gig id copied (or cleaned up): the move resumes after it
  move_copied INTEGER NOT NULL DEFAULT 0,
  move_started_ms INTEGER,
  move_progress_ms INTEGER,              -- last step; the cron revives moves stalled 15 minutes
  move_flipped_ms INTEGER
);
CREATE INDEX directory_by_user ON directory (user, account);
CREATE INDEX directory_by_shard ON directory (shard, account);
CREATE INDEX directory_moving ON directory (move_progress_ms) WHERE move_state IS NOT NULL;

-- The gig shards the consumer may place new accounts in, and what it knows of their size. A shard
-- binding with no row here is open. `placed` counts accounts placed since `size_bytes` was measured,
-- so a burst of new accounts spreads over the shards before the next measurement.
CREATE TABLE shards (
  name TEXT PRIMARY KEY,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  size_bytes INTEGER NOT NULL DEFAULT 0,
  measured_ms INTEGER,
  placed INTEGER NOT NULL DEFAULT 0,
  migration TEXT                         -- the newest shard migration applied there, as last measured
);

-- The catalog serves as shard "DB" for legacy accounts, so it carries a shard's fence table too.
CREATE TABLE account_fences (
  account TEXT PRIMARY KEY,
  reason TEXT NOT NULL CHECK (reason IN ('moving', 'moved')),
  shard TEXT NOT NULL,
  since_ms INTEGER NOT NULL
);
CREATE INDEX gigs_by_account_id ON gigs (account, id);
