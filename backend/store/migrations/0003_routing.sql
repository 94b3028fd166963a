-- Routing events (provider tripped/recovered, quota exhausted, …), newest last.
CREATE TABLE events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    ts       INTEGER NOT NULL,          -- unix ms
    kind     TEXT NOT NULL,
    provider TEXT NOT NULL DEFAULT '',
    account  TEXT NOT NULL DEFAULT '',
    model    TEXT NOT NULL DEFAULT '',
    until_ts INTEGER NOT NULL DEFAULT 0,
    message  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_ts ON events(ts);

-- Cooldowns saved at shutdown so a quota reset time survives a restart.
CREATE TABLE cooldowns (
    account_id TEXT NOT NULL,
    model      TEXT NOT NULL,
    provider   TEXT NOT NULL,
    account    TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL,
    until_ts   INTEGER NOT NULL,
    level      INTEGER NOT NULL DEFAULT 0,
    message    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, model)
);

-- Combos defined from the dashboard / API (config-file combos live in the file).
CREATE TABLE combos (
    name       TEXT PRIMARY KEY,
    data       TEXT NOT NULL,               -- JSON route.Combo
    updated_at INTEGER NOT NULL
);
