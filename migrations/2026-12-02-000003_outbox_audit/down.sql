-- The columns come back empty (`attempts` 0, `done_at` NULL: nothing used them), and the
-- index is rebuilt over the whole outbox, holding its lock meanwhile.
ALTER TABLE outbox_dead_letters DROP COLUMN retry_requested_by;
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0, ADD COLUMN done_at TIMESTAMPTZ;
CREATE INDEX outbox_pending ON outbox (id) WHERE done_at IS NULL;
