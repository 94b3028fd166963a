-- Local API keys: only a hash and the last 4 characters are stored.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    hash         TEXT NOT NULL UNIQUE,
    last4        TEXT NOT NULL,
    source       TEXT NOT NULL DEFAULT 'cli',
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0
);

-- Runtime settings changed from the dashboard (JSON values).
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Sealed secrets (AES-GCM), e.g. upstream API keys and OAuth tokens.
CREATE TABLE secrets (
    id         TEXT PRIMARY KEY,
    sealed     BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);
