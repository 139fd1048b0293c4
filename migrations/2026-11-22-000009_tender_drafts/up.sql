-- Tenders in draft: prepared by the buyer's officers before publication, private to the
-- buyer and not on the log (nothing is public until the tender is published). Publishing
-- the tender (a logged tender.published with the same id) removes its draft, in the
-- transaction that logs it.
CREATE TABLE tender_drafts (
    id         TEXT PRIMARY KEY,
    buyer_id   TEXT NOT NULL,
    body       JSONB NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES users (id),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX tender_drafts_by_buyer ON tender_drafts (buyer_id, updated_at);
