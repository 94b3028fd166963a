-- The last provider test from the dashboard or CLI, so a provider shows
-- "untested" until a test (or a request) succeeded, across restarts.
CREATE TABLE provider_checks (
    provider_id TEXT PRIMARY KEY,
    ok_at       INTEGER NOT NULL DEFAULT 0,  -- unix milliseconds of the last passing test
    failed_at   INTEGER NOT NULL DEFAULT 0,  -- unix milliseconds of the last failing test
    error       TEXT NOT NULL DEFAULT ''     -- what the failing test said
);
