-- Who uploaded each content. Content is stored once (blobs), but each organisation that
-- uploads it gets its own row: before a logged statement names the content, only those
-- organisations may read it, and a statement may make public only content that one of
-- its signers' organisations uploaded (or content already public). An upload answers the
-- same whether or not another organisation holds the same bytes.
CREATE TABLE blob_uploads (
    sha256          BYTEA NOT NULL REFERENCES blobs (sha256),
    organisation_id TEXT NOT NULL,
    uploaded_by     BIGINT NOT NULL REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (sha256, organisation_id)
);
INSERT INTO blob_uploads (sha256, organisation_id, uploaded_by, created_at)
SELECT sha256, organisation_id, uploaded_by, created_at FROM blobs;

-- document.published names a hash and a title; it no longer makes uploaded content
-- readable (a signer could otherwise publish another organisation's private upload).
DELETE FROM referenced_documents r
USING log_entries e
WHERE e.idx = r.entry_idx AND e.kind = 'document.published';

-- Drafts are kept per buyer: one buyer cannot detect another's draft ids.
ALTER TABLE tender_drafts DROP CONSTRAINT tender_drafts_pkey;
ALTER TABLE tender_drafts ADD PRIMARY KEY (buyer_id, id);
