-- The tables of auth_core's PostgresStore. Moments are seconds since the Unix
-- epoch (BIGINT), as everywhere in auth-core; secrets are stored only as their
-- SHA-256 (BYTEA, 32 bytes).

CREATE TABLE auth_users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    password_hash TEXT,
    roles TEXT[] NOT NULL DEFAULT '{}',
    totp_secret BYTEA,
    totp_confirmed BOOLEAN NOT NULL DEFAULT FALSE,
    -- Kept in the user's row so that consuming one is a row lock, not a scan.
    recovery_codes BYTEA[] NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    CONSTRAINT auth_users_username_unique UNIQUE (username)
);

-- One row per live session (refresh-token family). Revoking a session deletes
-- its row, and its tokens with it.
CREATE TABLE auth_sessions (
    sid TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    amr TEXT[] NOT NULL,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- The latest expiry among the session's refresh tokens.
    expires_at BIGINT NOT NULL
);
CREATE INDEX auth_sessions_user_id ON auth_sessions (user_id);
CREATE INDEX auth_sessions_expires_at ON auth_sessions (expires_at);

CREATE TABLE auth_refresh_tokens (
    hash BYTEA PRIMARY KEY,
    sid TEXT NOT NULL REFERENCES auth_sessions (sid) ON DELETE CASCADE,
    retired BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX auth_refresh_tokens_sid ON auth_refresh_tokens (sid);
CREATE INDEX auth_refresh_tokens_expires_at ON auth_refresh_tokens (expires_at);

-- One row per revoked token, session or user; a second revocation of the same
-- subject is merged into it.
CREATE TABLE auth_revocations (
    kind TEXT NOT NULL CHECK (kind IN ('token', 'session', 'user')),
    subject TEXT NOT NULL,
    -- Only for kind 'user': tokens issued at or before this are revoked.
    issued_up_to BIGINT,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (kind, subject)
);
CREATE INDEX auth_revocations_expires_at ON auth_revocations (expires_at);

CREATE TABLE auth_throttle (
    key TEXT PRIMARY KEY,
    count BIGINT NOT NULL,
    window_ends BIGINT NOT NULL
);
CREATE INDEX auth_throttle_window_ends ON auth_throttle (window_ends);

-- Single-use marks: the key is used while now <= expires_at.
CREATE TABLE auth_one_time (
    key TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX auth_one_time_expires_at ON auth_one_time (expires_at);

-- Short-lived codes awaiting their one use: usable while now < expires_at.
CREATE TABLE auth_codes (
    key TEXT PRIMARY KEY,
    code_hash BYTEA NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);

CREATE TABLE auth_api_keys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT auth_api_keys_hash_unique UNIQUE (hash)
);
