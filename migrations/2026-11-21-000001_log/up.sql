-- The log: entries, the tiles of its Merkle tree, and its signed checkpoints.
-- Every row here is written by the sequencer, in the transaction that logs the entry.

CREATE TABLE log_entries (
    idx            BIGINT PRIMARY KEY CHECK (idx >= 0),
    leaf_hash      BYTEA NOT NULL CHECK (length(leaf_hash) = 32),
    entry          BYTEA NOT NULL CHECK (length(entry) <= 65535),
    -- SHA-256 of the canonical signed statement: the same statement with the same
    -- signatures is logged once (idempotent appends).
    statement_hash BYTEA NOT NULL UNIQUE CHECK (length(statement_hash) = 32),
    kind           TEXT NOT NULL,
    subject        TEXT NOT NULL,
    logged_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX log_entries_by_subject ON log_entries (subject, idx);

-- Hash tiles (C2SP tlog-tiles): the rightmost tile of a level grows until it holds 256
-- hashes; a full tile never changes.
CREATE TABLE log_tiles (
    level  SMALLINT NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx    BIGINT NOT NULL CHECK (idx >= 0),
    hashes BYTEA NOT NULL CHECK (length(hashes) BETWEEN 32 AND 8192 AND length(hashes) % 32 = 0),
    PRIMARY KEY (level, idx)
);
-- Hashes do not compress: store them out of line without trying.
ALTER TABLE log_tiles ALTER COLUMN hashes SET STORAGE EXTERNAL;

CREATE TABLE checkpoints (
    size       BIGINT PRIMARY KEY CHECK (size >= 0),
    root       BYTEA NOT NULL CHECK (length(root) = 32),
    note       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The transactional outbox: derived work (search, notifications) written in the transaction
-- that logs the entries it concerns. The sequencer writes one row per batch, topic
-- "entries.logged", payload {"first": i, "last": j}; workers read those entries in order.
CREATE TABLE outbox (
    id         BIGSERIAL PRIMARY KEY,
    entry_idx  BIGINT NOT NULL,
    topic      TEXT NOT NULL,
    payload    JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts   INTEGER NOT NULL DEFAULT 0,
    done_at    TIMESTAMPTZ
);
CREATE INDEX outbox_pending ON outbox (id) WHERE done_at IS NULL;

-- The key directory, a projection of organisation.registered, key.registered and
-- key.revoked entries.
CREATE TABLE organisations (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('buyer', 'supplier', 'charity', 'supervisor', 'platform')),
    registered_idx BIGINT NOT NULL REFERENCES log_entries (idx) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE participant_keys (
    public_key      BYTEA PRIMARY KEY CHECK (length(public_key) = 32),
    organisation_id TEXT NOT NULL REFERENCES organisations (id) DEFERRABLE INITIALLY DEFERRED,
    role            TEXT NOT NULL,
    registered_idx  BIGINT NOT NULL REFERENCES log_entries (idx) DEFERRABLE INITIALLY DEFERRED,
    revoked_idx     BIGINT REFERENCES log_entries (idx) DEFERRABLE INITIALLY DEFERRED,
    CHECK (revoked_idx IS NULL OR revoked_idx > registered_idx)
);
CREATE INDEX participant_keys_by_organisation ON participant_keys (organisation_id);

-- Documents published by content hash (document.published).
--
-- Projections name the entry that caused them (`*_idx`). The key directory's references are
-- foreign keys, checked at commit (a batch inserts its entries after its projections); the
-- high-volume tables (outbox, documents) carry none, since the sequencer writes them in the
-- same transaction as their entries and the replay command checks them against the log.
CREATE TABLE documents (
    sha256          BYTEA PRIMARY KEY CHECK (length(sha256) = 32),
    title           TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    entry_idx       BIGINT NOT NULL
);

-- Which process sequences: written by the holder of the sequencer's advisory lock when it
-- takes it. The other processes forward appends to `url`.
CREATE TABLE sequencer_lease (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    url         TEXT NOT NULL,
    holder      TEXT NOT NULL,
    acquired_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
