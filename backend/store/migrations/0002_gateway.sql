-- One row per gateway request, written asynchronously in batches.
CREATE TABLE request_logs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    req_id           TEXT NOT NULL,
    ts               INTEGER NOT NULL,           -- unix milliseconds
    key_name         TEXT NOT NULL DEFAULT '',
    client_dialect   TEXT NOT NULL,
    endpoint         TEXT NOT NULL,
    requested_model  TEXT NOT NULL DEFAULT '',
    provider         TEXT NOT NULL DEFAULT '',
    account          TEXT NOT NULL DEFAULT '',
    upstream_model   TEXT NOT NULL DEFAULT '',
    upstream_dialect TEXT NOT NULL DEFAULT '',
    stream           INTEGER NOT NULL DEFAULT 0,
    status           INTEGER NOT NULL,
    error_kind       TEXT NOT NULL DEFAULT '',
    error_message    TEXT NOT NULL DEFAULT '',
    latency_ms       INTEGER NOT NULL DEFAULT 0,
    ttft_ms          INTEGER NOT NULL DEFAULT 0,
    tokens_in        INTEGER NOT NULL DEFAULT 0,
    tokens_out       INTEGER NOT NULL DEFAULT 0,
    tokens_cached    INTEGER NOT NULL DEFAULT 0,
    tokens_reasoning INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 1,
    route            TEXT NOT NULL DEFAULT '',   -- JSON: targets tried and why each was skipped
    request_body     TEXT NOT NULL DEFAULT '',   -- only when body logging is on (truncated, redacted)
    response_body    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX request_logs_ts ON request_logs(ts);
CREATE INDEX request_logs_provider_ts ON request_logs(provider, ts);
CREATE INDEX request_logs_model_ts ON request_logs(requested_model, ts);

-- Providers added from the dashboard / CLI (config-file providers live in the file).
CREATE TABLE providers (
    id          TEXT PRIMARY KEY,                -- catalog id or custom id
    type        TEXT NOT NULL DEFAULT '',        -- custom: openai-compatible | anthropic-compatible | …
    name        TEXT NOT NULL DEFAULT '',
    prefix      TEXT NOT NULL DEFAULT '',
    base_url    TEXT NOT NULL DEFAULT '',
    allow_local INTEGER NOT NULL DEFAULT 0,
    models      TEXT NOT NULL DEFAULT '[]',      -- JSON array
    disabled    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

-- Accounts (connections) of a provider; the API key is sealed (AES-GCM).
CREATE TABLE accounts (
    id             TEXT PRIMARY KEY,
    provider_id    TEXT NOT NULL,
    name           TEXT NOT NULL,
    sealed_key     TEXT NOT NULL DEFAULT '',
    last4          TEXT NOT NULL DEFAULT '',
    priority       INTEGER NOT NULL DEFAULT 0,
    max_concurrent INTEGER NOT NULL DEFAULT 0,
    rpm            INTEGER NOT NULL DEFAULT 0,
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    UNIQUE(provider_id, name)
);

-- Model aliases set from the dashboard (the config file's aliases win).
CREATE TABLE aliases (
    alias      TEXT PRIMARY KEY,
    target     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
