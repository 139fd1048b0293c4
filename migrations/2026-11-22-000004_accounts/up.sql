-- Accounts: the people who act for organisations. Not on the log (DESIGN.md: no personal
-- data in the log); an organisation and its signing keys are on the log, its users here.
CREATE TABLE users (
    id              BIGSERIAL PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    email           TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '%_@_%'),
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('platform_admin', 'organisation_admin',
                        'procurement_officer', 'bidder_representative', 'supervisor')),
    -- argon2id, as a PHC string.
    password_hash   TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    -- TOTP (RFC 6238): the secret once enrolment starts; enabled once a code confirms it.
    totp_secret     BYTEA,
    totp_enabled    BOOLEAN NOT NULL DEFAULT false,
    -- The last time step a code was accepted for: a code works once.
    totp_last_step  BIGINT,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Sessions and API tokens are stored as SHA-256 of the secret the client holds.
CREATE TABLE sessions (
    token_hash   BYTEA PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  BYTEA NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used   TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
