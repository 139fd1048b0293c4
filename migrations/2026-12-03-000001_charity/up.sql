-- Charity (DESIGN.md "Charity"): funds, their donations and disbursements, and what each
-- disbursement took from each donation (first in, first out). All of it is a projection
-- of the log, rebuilt and compared by the replay; amounts are in ten-thousandths of the
-- fund's currency unit. The donors' data is in the vault, off the log, and erasable.
CREATE TABLE funds (
    id            TEXT PRIMARY KEY,
    charity_id    TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('campaign', 'project')),
    status        TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    currency      TEXT NOT NULL,
    target        BIGINT NOT NULL,
    balance       BIGINT NOT NULL CHECK (balance >= 0),
    received      BIGINT NOT NULL,
    disbursed     BIGINT NOT NULL,
    donations     BIGINT NOT NULL,
    disbursements INTEGER NOT NULL,
    period_start  TIMESTAMPTZ NOT NULL,
    period_end    TIMESTAMPTZ NOT NULL,
    opened_idx    BIGINT NOT NULL,
    updated_idx   BIGINT NOT NULL,
    state         JSONB NOT NULL
);
CREATE INDEX funds_by_charity ON funds (charity_id, opened_idx);
CREATE INDEX funds_by_opening ON funds (opened_idx);

CREATE TABLE fund_donations (
    fund_id             TEXT NOT NULL REFERENCES funds (id),
    seq                 BIGINT NOT NULL,
    entry_idx           BIGINT NOT NULL,
    logged_at           TIMESTAMPTZ NOT NULL,
    amount              BIGINT NOT NULL CHECK (amount > 0),
    remaining           BIGINT NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
    channel             TEXT NOT NULL,
    reference           TEXT NOT NULL,
    received_at         TIMESTAMPTZ NOT NULL,
    donor_commitment    TEXT,
    named               BOOLEAN NOT NULL,
    source_fund         TEXT,
    source_disbursement INTEGER,
    PRIMARY KEY (fund_id, seq),
    UNIQUE (fund_id, channel, reference)
);
-- The donations with money left, oldest first: where the next disbursement takes from.
CREATE INDEX fund_donations_with_money_left ON fund_donations (fund_id, seq) WHERE remaining > 0;
-- A donor's receipt names its entry; the export reads a fund's donations in log order.
CREATE INDEX fund_donations_by_entry ON fund_donations (fund_id, entry_idx);
CREATE INDEX fund_donations_by_donor ON fund_donations (donor_commitment) WHERE donor_commitment IS NOT NULL;

CREATE TABLE fund_disbursements (
    fund_id          TEXT NOT NULL REFERENCES funds (id),
    seq              INTEGER NOT NULL,
    amount           BIGINT NOT NULL CHECK (amount > 0),
    status           TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'executed')),
    recipient_kind   TEXT NOT NULL CHECK (recipient_kind IN ('organisation', 'fund', 'person')),
    recipient        TEXT NOT NULL,
    evidence_count   INTEGER NOT NULL,
    proposed_idx     BIGINT NOT NULL,
    executed_idx     BIGINT,
    executed_at      TIMESTAMPTZ,
    acknowledged_idx BIGINT,
    updated_idx      BIGINT NOT NULL,
    state            JSONB NOT NULL,
    PRIMARY KEY (fund_id, seq)
);
CREATE INDEX fund_disbursements_by_recipient ON fund_disbursements (recipient_kind, recipient);
CREATE INDEX fund_disbursements_by_execution ON fund_disbursements (fund_id, executed_idx) WHERE executed_idx IS NOT NULL;

CREATE TABLE fund_allocations (
    fund_id          TEXT NOT NULL,
    donation_seq     BIGINT NOT NULL,
    disbursement_seq INTEGER NOT NULL,
    amount           BIGINT NOT NULL CHECK (amount > 0),
    entry_idx        BIGINT NOT NULL,
    PRIMARY KEY (fund_id, donation_seq, disbursement_seq)
);
CREATE INDEX fund_allocations_by_disbursement ON fund_allocations (fund_id, disbursement_seq, donation_seq);

-- The donors' (and persons' receiving disbursements) data behind the commitments, kept
-- by the platform for the charity, never on the log. Erasure empties data, salt and name
-- and keeps the row, so the erasure itself is on record; the commitment, every proof and
-- every trace stay as they were.
CREATE TABLE donor_vault (
    commitment  TEXT PRIMARY KEY CHECK (commitment ~ '^[0-9a-f]{64}$'),
    charity_id  TEXT NOT NULL,
    fund_id     TEXT NOT NULL,
    data        JSONB,
    salt        BYTEA CHECK (salt IS NULL OR length(salt) = 32),
    public_name TEXT CHECK (length(public_name) <= 200),
    stored_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    erased_at   TIMESTAMPTZ,
    CHECK ((erased_at IS NULL) = (data IS NOT NULL AND salt IS NOT NULL))
);
CREATE INDEX donor_vault_by_fund ON donor_vault (fund_id);

-- What a fund's page shows at any size, kept as the batches commit rather than summed over
-- its donations on every view: money in and out by day, in by channel, out by recipient.
CREATE TABLE fund_days (
    fund_id       TEXT NOT NULL,
    day           DATE NOT NULL,
    money_in      BIGINT NOT NULL,
    money_out     BIGINT NOT NULL,
    donations     BIGINT NOT NULL,
    disbursements BIGINT NOT NULL,
    updated_idx   BIGINT NOT NULL,
    PRIMARY KEY (fund_id, day)
);

CREATE TABLE fund_channels (
    fund_id     TEXT NOT NULL,
    channel     TEXT NOT NULL,
    source_fund TEXT NOT NULL DEFAULT '',
    amount      BIGINT NOT NULL,
    donations   BIGINT NOT NULL,
    updated_idx BIGINT NOT NULL,
    PRIMARY KEY (fund_id, channel, source_fund)
);

CREATE TABLE fund_recipients (
    fund_id        TEXT NOT NULL,
    recipient_kind TEXT NOT NULL,
    recipient      TEXT NOT NULL,
    amount         BIGINT NOT NULL,
    disbursements  BIGINT NOT NULL,
    updated_idx    BIGINT NOT NULL,
    PRIMARY KEY (fund_id, recipient_kind, recipient)
);
