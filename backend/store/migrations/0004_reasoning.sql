-- Vendor-signed reasoning a client's dialect could not carry (Gemini thought
-- signatures on function calls, Anthropic thinking blocks, Responses
-- reasoning items), keyed by the tool call the client will echo back, so a
-- tool loop survives a restart. Rows are sealed; bounded by age and count.
CREATE TABLE reasoning_memo (
    key        TEXT PRIMARY KEY,          -- hex SHA-256 of scope + call id
    created_at INTEGER NOT NULL,          -- unix ms
    data       TEXT NOT NULL              -- sealed JSON entry
);
CREATE INDEX reasoning_memo_created ON reasoning_memo(created_at);
