-- Sign-in (subscription) accounts: an accounts row of kind 'signin' whose
-- tokens live in signins, sealed (AES-GCM, bound to the account id).
ALTER TABLE accounts ADD COLUMN kind TEXT NOT NULL DEFAULT 'key'; -- key | signin

CREATE TABLE signins (
    account_id   TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    sealed       TEXT NOT NULL,               -- JSON {access, refresh, id_token}, sealed
    expires_at   INTEGER NOT NULL DEFAULT 0,  -- access token expiry, unix ms; 0 = unknown
    email        TEXT NOT NULL DEFAULT '',
    plan         TEXT NOT NULL DEFAULT '',
    account_ref  TEXT NOT NULL DEFAULT '',    -- the vendor's account id (Codex: chatgpt-account-id)
    subject      TEXT NOT NULL DEFAULT '',
    org          TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL DEFAULT 'ok',  -- ok | needs_sign_in
    last_error   TEXT NOT NULL DEFAULT '',
    refreshed_at INTEGER NOT NULL DEFAULT 0,  -- unix ms of the last token change
    source       TEXT NOT NULL DEFAULT ''     -- signed_in | imported:<where>
);

-- What happened to sign-ins' tokens, for the dashboard (bounded by the writer).
CREATE TABLE signin_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          INTEGER NOT NULL,             -- unix ms
    account_id  TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    account     TEXT NOT NULL,
    outcome     TEXT NOT NULL,                -- signed_in | imported | refreshed | failed | needs_sign_in
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX signin_log_ts ON signin_log(ts);
