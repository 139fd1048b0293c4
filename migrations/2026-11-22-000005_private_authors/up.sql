-- Who sent each statement signed only by a one-time key (a sealed bid, its withdrawal, an
-- anonymous question). The public log does not say; the platform knows it from the
-- sender's account, checked that the sender may bid, and keeps it here, private. Written
-- by the sequencer in the transaction that logs the entry. Not derivable from the log, so
-- the replay command does not compare it.
CREATE TABLE private_authors (
    entry_idx       BIGINT PRIMARY KEY REFERENCES log_entries (idx) DEFERRABLE INITIALLY DEFERRED,
    organisation_id TEXT NOT NULL,
    user_id         BIGINT NOT NULL REFERENCES users (id)
);
CREATE INDEX private_authors_by_organisation ON private_authors (organisation_id, entry_idx);
