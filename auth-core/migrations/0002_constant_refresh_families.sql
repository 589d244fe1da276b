-- A refresh-token family keeps a constant-size state in its session row: the
-- current token's generation and hash, the previous token's hash with the
-- current token sealed under it (for the reuse interval), and when it was
-- rotated. Older tokens are recognised as reuse by their generation (which
-- they carry under the server's MAC), so no row per token is kept any more.
--
-- Refresh tokens of the earlier format cannot be presented any more, so their
-- sessions end here: their users log in again.
DROP TABLE auth_refresh_tokens;
DELETE FROM auth_sessions;
ALTER TABLE auth_sessions
    ADD COLUMN generation BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN current_hash BYTEA NOT NULL,
    ADD COLUMN previous_hash BYTEA,
    ADD COLUMN sealed_successor BYTEA,
    ADD COLUMN rotated_at BIGINT;

-- The per-user limit on live API keys counts by owner.
CREATE INDEX auth_api_keys_user_id ON auth_api_keys (user_id);
