-- What a user follows, to be told of it: a tender, for now (buyers, funds and saved
-- searches come with the notifications' own channels). Private to its user, never on the
-- log: who follows a tender says nothing about who bids.
CREATE TABLE subscriptions (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('tender')),
    target     TEXT NOT NULL CHECK (length(target) BETWEEN 1 AND 256),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (user_id, kind, target)
);
CREATE INDEX subscriptions_by_target ON subscriptions (kind, target);
