-- Personal API tokens: a person's key for integrations calling /api/v1 in their name. Only a
-- digest of the secret is kept (the secret is shown once, at creation); a token acts with
-- exactly its owner's roles, read-only or read-write, until it expires or is revoked.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    login         TEXT NOT NULL REFERENCES users (login),
    name          TEXT NOT NULL,
    secret_digest TEXT NOT NULL UNIQUE,
    scope         TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT,
    revoked_by    TEXT
);
CREATE INDEX api_tokens_login ON api_tokens (login);
