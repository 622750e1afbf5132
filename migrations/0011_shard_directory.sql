-- Migration 0011: this database becomes the catalog. Gig rows and per-account sync state now live
-- in gig shards (SHARD_1, SHARD_2, ..., schema in migrations-shard/); the catalog keeps what is
-- global and small per webhook, plus the directory saying which shard holds each account.
-- Accounts already stored here before this migration stay here, served from the catalog as shard
-- "DB" (closed to new accounts) until `npm run shards -- move` moves them to a gig shard.

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

-- Accounts stored before sharding stay in the catalog (shard "DB"), which takes no new ones.
INSERT INTO directory (account, shard, user, placed_ms)
  SELECT id, 'DB', user, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM accounts;
INSERT OR IGNORE INTO directory (account, shard, user, placed_ms)
  SELECT account, 'DB', MAX(user), CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM gigs GROUP BY account;
INSERT INTO shards (name, status) SELECT 'DB', 'closed' WHERE EXISTS (SELECT 1 FROM directory);
