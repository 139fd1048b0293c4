-- OCDS 1.1 releases (server/src/ocds.rs): one per entry that changed a tender, written by the
-- sequencer in the transaction that logs the entry; the replay command checks them.
CREATE TABLE ocds_releases (
    entry_idx BIGINT PRIMARY KEY,
    ocid      TEXT NOT NULL,
    release   JSONB NOT NULL
);
CREATE INDEX ocds_releases_by_ocid ON ocds_releases (ocid, entry_idx);
