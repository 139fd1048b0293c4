-- Document contents, addressed by their SHA-256: tender documents, bid documents (uploaded
-- at the reveal), evaluation reports, contracts. Uploads are not on the log; the log
-- carries the hashes.
CREATE TABLE blobs (
    sha256          BYTEA PRIMARY KEY CHECK (length(sha256) = 32),
    content         BYTEA NOT NULL,
    media_type      TEXT NOT NULL,
    uploaded_by     BIGINT NOT NULL REFERENCES users (id),
    organisation_id TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE blobs ALTER COLUMN content SET STORAGE EXTERNAL;

-- Hashes that logged statements name as documents: anyone may read those blobs. Others
-- only their uploader's organisation may read (a bid document uploaded before its reveal
-- stays private). A projection: the replay command rebuilds and compares it.
CREATE TABLE referenced_documents (
    sha256    BYTEA PRIMARY KEY CHECK (length(sha256) = 32),
    entry_idx BIGINT NOT NULL
);
