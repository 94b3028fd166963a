-- Quota windows per account (plan windows from usage endpoints, rate-limit
-- headers, 429/402 resets) so what is known, and which alerts were sent
-- for the current period, survives a restart. IF NOT EXISTS: harmless if
-- a renumbering at a merge runs it again.
CREATE TABLE IF NOT EXISTS quota_windows (
    account_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    model       TEXT NOT NULL DEFAULT '',
    provider    TEXT NOT NULL DEFAULT '',
    account     TEXT NOT NULL DEFAULT '',
    used        REAL NOT NULL,
    remaining   INTEGER NOT NULL DEFAULT 0,
    lim         INTEGER NOT NULL DEFAULT 0,
    span_ms     INTEGER NOT NULL DEFAULT 0,
    reset_ts    INTEGER NOT NULL DEFAULT 0,  -- unix ms, 0 = unknown
    source      TEXT NOT NULL,
    observed_ts INTEGER NOT NULL,            -- unix ms
    plan        INTEGER NOT NULL DEFAULT 0,
    flags       INTEGER NOT NULL DEFAULT 0,  -- alerts sent this period
    PRIMARY KEY (account_id, name, model)
);
