-- Cost, value and attribution on every request log row, user price
-- overrides, and hourly rollups that keep Analytics' history once old rows
-- are deleted (backend/usage: price.go, rollup.go, retention.go).
ALTER TABLE request_logs ADD COLUMN tokens_cache_write INTEGER NOT NULL DEFAULT 0; -- subset of tokens_in
ALTER TABLE request_logs ADD COLUMN tool TEXT NOT NULL DEFAULT '';     -- coding tool (User-Agent)
ALTER TABLE request_logs ADD COLUMN combo TEXT NOT NULL DEFAULT '';    -- combo routed through
ALTER TABLE request_logs ADD COLUMN billing TEXT NOT NULL DEFAULT '';  -- api | subscription | free; '' = before 0009 (priced once at start)
ALTER TABLE request_logs ADD COLUMN cost_usd REAL;                     -- NULL: no price known for the model
ALTER TABLE request_logs ADD COLUMN value_usd REAL;                    -- subscription rows: API-equivalent price (NULL unknown)

-- The user's prices per provider and model (USD per million tokens).
CREATE TABLE price_overrides (
    provider    TEXT NOT NULL,
    model       TEXT NOT NULL,
    input       REAL NOT NULL,
    output      REAL NOT NULL,
    cache_read  REAL NOT NULL DEFAULT 0,
    cache_write REAL NOT NULL DEFAULT 0,
    reasoning   REAL NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (provider, model)
);

-- Request log rows summed per hour (rollup.go). Rows with an id up to
-- rollup_state.last_id are in both tables; Analytics reads them plus the raw
-- rows after that id, so nothing is counted twice and deleting raw rows
-- loses no history.
--
-- usage_dims: one dimension at a time (dim '' is the total, 'pm' provider
-- and model together, with latency histograms): a handful of rows per hour
-- whatever the traffic, which is what the page reads without filters.
CREATE TABLE usage_dims (
    dim                TEXT NOT NULL,      -- '', provider, account, model, key, tool, combo, pm
    hour               INTEGER NOT NULL,   -- unix ms at the start of the UTC hour
    v1                 TEXT NOT NULL,      -- the value (pm: the provider)
    v2                 TEXT NOT NULL,      -- pm: the model
    requests           INTEGER NOT NULL,
    errors             INTEGER NOT NULL,   -- status >= 400
    fallbacks          INTEGER NOT NULL,   -- attempts > 1
    tokens_in          INTEGER NOT NULL,
    tokens_out         INTEGER NOT NULL,
    tokens_cached      INTEGER NOT NULL,
    tokens_cache_write INTEGER NOT NULL,
    tokens_reasoning   INTEGER NOT NULL,
    cost_usd           REAL NOT NULL,
    unpriced           INTEGER NOT NULL,   -- requests with tokens and no known price
    value_usd          REAL NOT NULL,
    value_unknown      INTEGER NOT NULL,   -- subscription requests with tokens and no known value
    latency_hist       BLOB NOT NULL,      -- log-scale histograms of successful requests (hist.go)
    ttft_hist          BLOB NOT NULL,
    PRIMARY KEY (dim, hour, v1, v2)
);

-- usage_hourly: every dimension at once, for filtered views (a tool's
-- spend by provider…).
CREATE TABLE usage_hourly (
    hour               INTEGER NOT NULL,
    provider           TEXT NOT NULL,
    account            TEXT NOT NULL,
    model              TEXT NOT NULL,      -- upstream model
    key_name           TEXT NOT NULL,
    tool               TEXT NOT NULL,
    combo              TEXT NOT NULL,
    billing            TEXT NOT NULL,
    requests           INTEGER NOT NULL,
    errors             INTEGER NOT NULL,
    fallbacks          INTEGER NOT NULL,
    tokens_in          INTEGER NOT NULL,
    tokens_out         INTEGER NOT NULL,
    tokens_cached      INTEGER NOT NULL,
    tokens_cache_write INTEGER NOT NULL,
    tokens_reasoning   INTEGER NOT NULL,
    cost_usd           REAL NOT NULL,
    unpriced           INTEGER NOT NULL,
    value_usd          REAL NOT NULL,
    value_unknown      INTEGER NOT NULL,
    PRIMARY KEY (hour, provider, account, model, key_name, tool, combo, billing)
);
CREATE INDEX usage_hourly_provider ON usage_hourly(provider, hour);
CREATE INDEX usage_hourly_account ON usage_hourly(account, hour);
CREATE INDEX usage_hourly_model ON usage_hourly(model, hour);
CREATE INDEX usage_hourly_key ON usage_hourly(key_name, hour);
CREATE INDEX usage_hourly_tool ON usage_hourly(tool, hour);
CREATE INDEX usage_hourly_combo ON usage_hourly(combo, hour);

CREATE TABLE rollup_state (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    last_id INTEGER NOT NULL
);
INSERT INTO rollup_state(one, last_id) VALUES (1, 0);
