-- Rollups per pair of dimensions, for Analytics with one filter (a tool's
-- spend by provider, a key's requests by model…): usage_hourly holds every
-- dimension at once, so when the dimensions rarely repeat together it has
-- about as many rows as the log and a filtered month read most of them.
-- Here a filtered view reads one filter value's rows: gdim '' is its
-- totals per hour, any other gdim its breakdown by that dimension.
-- Filled by the rollup (backend/usage/rollup.go) with usage_hourly.
CREATE TABLE usage_pairs (
    fdim               TEXT NOT NULL,      -- provider, account, model, key, tool, combo
    fval               TEXT NOT NULL,
    gdim               TEXT NOT NULL,      -- '' (totals) or another dimension
    hour               INTEGER NOT NULL,   -- unix ms at the start of the UTC hour
    gval               TEXT NOT NULL,
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
    PRIMARY KEY (fdim, fval, gdim, hour, gval)
) WITHOUT ROWID;

-- The pairs are complete from pairs_from on (unix ms, an hour's start):
-- hours rolled up before this migration are answered from usage_hourly
-- (rebuilding them here could take minutes on a large log).
ALTER TABLE rollup_state ADD COLUMN pairs_from INTEGER NOT NULL DEFAULT 0;
UPDATE rollup_state SET pairs_from = COALESCE((SELECT MAX(hour) + 3600000 FROM usage_hourly), 0);
