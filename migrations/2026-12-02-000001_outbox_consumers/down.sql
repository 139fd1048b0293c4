DROP TABLE outbox_dead_letters;
ALTER TABLE outbox_cursors DROP COLUMN attempts, DROP COLUMN retry_at, DROP COLUMN last_error;
