-- Migration 0003: Argyle IDs are stored lowercase, and gigs are indexed newest start first.
--
-- 1. Lowercase IDs. Argyle's IDs are lowercase, but the shape check accepted any case and the
--    lookups compared exact strings, so a webhook or job with an uppercase ID could store a row
--    no lowercase query finds. Every boundary now lowercases; this lowercases what is stored.
--    Only key columns change: a gig's `data` (the object as Argyle returned it) stays byte-exact.
--    Primary-key collisions (the same ID stored twice in different case) keep one row per ID:
--    - gigs: the newest observation (highest synced_ms), as a conflicting write would; on a tie,
--      the row already lowercase. The other row is deleted.
--    - accounts: the row with the newest webhook (last_webhook_at), then the newest fetch; on a
--      tie, the row already lowercase. A backfill pass recorded only on the deleted row stops
--      (older passes stop by design); the next *_synced webhook or cron revival starts another.
--    events and failures key on our own IDs (already lowercase): only their account/user columns
--    change. A failure's stored `job` keeps its text; a redrive lowercases it when it is parsed.
-- 2. Newest first. GET /v2/gigs lists as Argyle does: newest start_datetime first, then gig id
--    ascending; gigs without a start come last. The mixed order needs DESC on start_ms in the
--    index (a backward scan of (start_ms, id) would give id descending); SQLite puts NULLs last
--    in a DESC index, which is where gigs without a start go.

CREATE TABLE _gig_id_twins AS
  SELECT id, lower(id) AS k, synced_ms FROM gigs WHERE id <> lower(id)
  UNION ALL
  SELECT g.id, g.id AS k, g.synced_ms FROM gigs g
    WHERE g.id IN (SELECT lower(id) FROM gigs WHERE id <> lower(id));
DELETE FROM gigs WHERE id IN (
  SELECT id FROM (
    SELECT id, row_number() OVER (PARTITION BY k ORDER BY synced_ms DESC, id DESC) AS n FROM _gig_id_twins
  ) WHERE n > 1
);
DROP TABLE _gig_id_twins;
UPDATE gigs SET id = lower(id), account = lower(account), user = lower(user)
  WHERE id <> lower(id) OR account <> lower(account) OR user <> lower(user);

CREATE TABLE _account_id_twins AS
  SELECT id, lower(id) AS k, last_webhook_at, last_fetch_at FROM accounts WHERE id <> lower(id)
  UNION ALL
  SELECT a.id, a.id AS k, a.last_webhook_at, a.last_fetch_at FROM accounts a
    WHERE a.id IN (SELECT lower(id) FROM accounts WHERE id <> lower(id));
DELETE FROM accounts WHERE id IN (
  SELECT id FROM (
    SELECT id, row_number() OVER (
      PARTITION BY k ORDER BY last_webhook_at DESC NULLS LAST, last_fetch_at DESC NULLS LAST, id DESC
    ) AS n FROM _account_id_twins
  ) WHERE n > 1
);
DROP TABLE _account_id_twins;
UPDATE accounts SET id = lower(id), user = lower(user) WHERE id <> lower(id) OR user <> lower(user);

UPDATE events SET account = lower(account), user = lower(user) WHERE account <> lower(account) OR user <> lower(user);
UPDATE failures SET account = lower(account) WHERE account <> lower(account);

DROP INDEX gigs_by_account_start;
DROP INDEX gigs_by_user_start;
DROP INDEX gigs_by_start;
CREATE INDEX gigs_by_account_newest ON gigs (account, start_ms DESC, id) WHERE removed_at IS NULL;
CREATE INDEX gigs_by_user_newest ON gigs (user, start_ms DESC, id) WHERE removed_at IS NULL;
CREATE INDEX gigs_by_newest ON gigs (start_ms DESC, id) WHERE removed_at IS NULL;
