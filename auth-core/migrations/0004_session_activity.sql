-- What a person sees of each session ("where am I signed in"): when it was
-- last used, and the address and user agent of the client that used it.
-- Existing sessions count as last used when they were created.
ALTER TABLE auth_sessions
    ADD COLUMN last_used_at BIGINT,
    ADD COLUMN ip TEXT,
    ADD COLUMN user_agent TEXT;
UPDATE auth_sessions SET last_used_at = created_at;
ALTER TABLE auth_sessions ALTER COLUMN last_used_at SET NOT NULL;
