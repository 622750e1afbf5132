-- The complete D1 schema of the Argyle gig mirror, shared by the receiver and consumer Workers.
-- migrations/ holds the same schema as numbered, append-only steps (what `wrangler d1 migrations
-- apply` runs); test/schema.test.ts proves that applying them yields exactly this file.
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
CREATE INDEX gigs_by_account_start ON gigs (account, start_ms, id) WHERE removed_at IS NULL;
CREATE INDEX gigs_by_user_start ON gigs (user, start_ms, id) WHERE removed_at IS NULL;
CREATE INDEX gigs_by_start ON gigs (start_ms, id) WHERE removed_at IS NULL;
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
  backfill_retry_ms INTEGER                    -- the pass's message is due again then (after a failure)
);
CREATE INDEX accounts_by_backfill ON accounts (backfill_status, backfill_progress_ms);

-- Attempts of jobs that failed at least once: what the dead-letter consumer reports.
CREATE TABLE job_attempts (
  job_id TEXT PRIMARY KEY,
  attempts INTEGER NOT NULL,
  reason TEXT NOT NULL,                  -- transient | rate_limited | auth | permanent
  last_error TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX job_attempts_by_updated ON job_attempts (updated_at);

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
