-- Tenders (DESIGN.md "Procurement"): a projection of the procurement kinds. `state` is the
-- whole aggregate the rules judge (the tender as published, its bids, awards, contracts
-- and payments); the other columns are copies of it for listing and filtering. Written by
-- the sequencer in the transaction that logs the entries; rebuilt by the replay command.
CREATE TABLE tenders (
    id            TEXT PRIMARY KEY,
    buyer_id      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active.enquiries', 'active.tendering', 'opening',
                      'evaluation', 'awarded', 'contracted', 'complete', 'cancelled', 'unsuccessful')),
    title         TEXT NOT NULL,
    category      TEXT NOT NULL,
    region        TEXT NOT NULL,
    procedure     TEXT NOT NULL,
    value_amount  NUMERIC NOT NULL,
    currency      TEXT NOT NULL,
    tender_end    TIMESTAMPTZ,
    published_idx BIGINT NOT NULL,
    updated_idx   BIGINT NOT NULL,
    state         JSONB NOT NULL
);
CREATE INDEX tenders_by_buyer ON tenders (buyer_id, published_idx);
-- The scheduler's question: which tenders may have a timed transition due.
CREATE INDEX tenders_open ON tenders (status) WHERE status IN ('active.enquiries', 'active.tendering', 'opening');
