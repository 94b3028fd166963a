-- Media requests (images, speech, transcription, moderation, rerank) bill
-- in their own unit besides tokens: how many (units), of what (unit_kind:
-- images, characters, audio_seconds, search_units, tokens, inputs) and what
-- they cost at the catalog's unit price (units_cost_usd).
ALTER TABLE request_logs ADD COLUMN units REAL NOT NULL DEFAULT 0;
ALTER TABLE request_logs ADD COLUMN unit_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE request_logs ADD COLUMN units_cost_usd REAL NOT NULL DEFAULT 0;
