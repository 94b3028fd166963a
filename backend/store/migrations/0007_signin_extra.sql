-- What a vendor assigns a sign-in besides its tokens (not secret): the API
-- base an account must use, the Cloud Code project it runs in. JSON.
ALTER TABLE signins ADD COLUMN extra TEXT NOT NULL DEFAULT '{}';
