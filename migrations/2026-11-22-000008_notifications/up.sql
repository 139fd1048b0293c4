-- Where each outbox consumer has got to. A consumer handles the outbox rows after
-- `last_outbox_id`, in order, and moves its cursor in the transaction that writes what it
-- derived, so a crash neither loses nor repeats work. The row lock makes one process at a
-- time the consumer.
CREATE TABLE outbox_cursors (
    consumer       TEXT PRIMARY KEY,
    last_outbox_id BIGINT NOT NULL DEFAULT 0
);
-- The notifier starts from now: what was logged before it existed is not news.
INSERT INTO outbox_cursors (consumer, last_outbox_id)
    SELECT 'notifications', coalesce(max(id), 0) FROM outbox;

-- In-app notifications: a change to something a user has a stake in (a tender its
-- organisation bid on or asked about). Derived from the log and the private authors, not
-- from the log alone, so the replay command does not compare them.
CREATE TABLE notifications (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    entry_idx  BIGINT NOT NULL REFERENCES log_entries (idx),
    kind       TEXT NOT NULL,
    tender_id  TEXT NOT NULL,
    summary    JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    read_at    TIMESTAMPTZ,
    UNIQUE (user_id, entry_idx)
);
CREATE INDEX notifications_by_user ON notifications (user_id, id);
