-- The outbox's own `attempts` and `done_at` date from before the consumers kept cursors:
-- nothing reads or writes them, and the index on them only cost the sequencer's inserts.
-- A request to try a dead letter again now says who asked.
-- Dropping columns takes an exclusive lock on the outbox: rather than queue the
-- sequencer's inserts behind a long consumer pass, give up (and start again later).
SET LOCAL lock_timeout = '10s';
DROP INDEX outbox_pending;
ALTER TABLE outbox DROP COLUMN attempts, DROP COLUMN done_at;
ALTER TABLE outbox_dead_letters
    ADD COLUMN retry_requested_by BIGINT REFERENCES users (id) ON DELETE SET NULL;
