-- Per-key policy (see backend/keys/policy.go): allowed model patterns,
-- rate limits, budgets in USD and tokens, expiry and a disabled flag.
-- Zero means "no limit" everywhere.
ALTER TABLE api_keys ADD COLUMN models         TEXT    NOT NULL DEFAULT '';  -- newline-separated glob patterns; '' = any model
ALTER TABLE api_keys ADD COLUMN rpm            INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN tpm            INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN daily_usd      REAL    NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN monthly_usd    REAL    NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN daily_tokens   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN monthly_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN expires_at     INTEGER NOT NULL DEFAULT 0;   -- unix seconds, 0 = never
ALTER TABLE api_keys ADD COLUMN disabled       INTEGER NOT NULL DEFAULT 0;

-- Spend per key since midnight / the 1st is summed at start (budgets) and
-- the Logs page filters by key.
CREATE INDEX IF NOT EXISTS request_logs_key_ts ON request_logs(key_name, ts);

-- The headers that matter of a request and its answer (JSON, redacted),
-- kept with the bodies when body logging is on.
ALTER TABLE request_logs ADD COLUMN headers TEXT NOT NULL DEFAULT '';
