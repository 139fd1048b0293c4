-- Every outbox consumer runs on one loop (server/src/outbox.rs). A row whose handling
-- fails is tried again with exponential backoff (`attempts`, `retry_at`, `last_error` on
-- the consumer's cursor, which stays on that row); once the consumer's limit is reached
-- the row is set aside as a dead letter and the cursor moves past it. An administrator
-- lists dead letters and asks for one to be tried again (`retry_requested_at`).
ALTER TABLE outbox_cursors
    ADD COLUMN attempts   INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN retry_at   TIMESTAMPTZ,
    ADD COLUMN last_error TEXT;

CREATE TABLE outbox_dead_letters (
    consumer           TEXT NOT NULL REFERENCES outbox_cursors (consumer),
    outbox_id          BIGINT NOT NULL REFERENCES outbox (id),
    attempts           INTEGER NOT NULL,
    last_error         TEXT NOT NULL,
    failed_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    retry_requested_at TIMESTAMPTZ,
    PRIMARY KEY (consumer, outbox_id)
);
CREATE INDEX outbox_dead_letters_requested ON outbox_dead_letters (consumer, outbox_id)
    WHERE retry_requested_at IS NOT NULL;
