-- Suppliers' applications to register: the organisation as the applicant signed it with
-- its own key (which proves it holds the key), and its first administrator's account.
-- Not on the log until a platform administrator approves; then the platform logs
-- organisation.registered and key.registered, and the account is created.
CREATE TABLE registrations (
    id              BIGSERIAL PRIMARY KEY,
    organisation_id TEXT NOT NULL,
    name            TEXT NOT NULL,
    credit_code     TEXT NOT NULL,
    public_key      BYTEA NOT NULL CHECK (length(public_key) = 32),
    proof           JSONB NOT NULL,
    admin_email     TEXT NOT NULL,
    admin_name      TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    reason          TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    decided_at      TIMESTAMPTZ,
    decided_by      BIGINT REFERENCES users (id)
);
-- One pending application per organisation id, credit code, key and address.
CREATE UNIQUE INDEX registrations_pending_id ON registrations (organisation_id) WHERE status = 'pending';
CREATE UNIQUE INDEX registrations_pending_code ON registrations (credit_code) WHERE status = 'pending';
CREATE UNIQUE INDEX registrations_pending_key ON registrations (public_key) WHERE status = 'pending';
CREATE UNIQUE INDEX registrations_pending_email ON registrations (admin_email) WHERE status = 'pending';
