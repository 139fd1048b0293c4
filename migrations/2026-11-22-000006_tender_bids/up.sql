-- A tender's bids, one row each, beside the tender's state: a batch rewrites only the bids
-- it changed, not the whole aggregate (a tender with hundreds of bids at its deadline).
CREATE TABLE tender_bids (
    tender_id  TEXT NOT NULL REFERENCES tenders (id) DEFERRABLE INITIALLY DEFERRED,
    commitment TEXT NOT NULL,
    -- Commit order within the tender.
    position   INTEGER NOT NULL,
    state      JSONB NOT NULL,
    PRIMARY KEY (tender_id, commitment)
);
