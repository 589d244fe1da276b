-- Passkeys (WebAuthn credentials) and the ceremonies that register them and
-- sign in with them.

-- One row per passkey; `id` is the credential id (base64url), unique across
-- users. `credential` is the credential as the relying party serialised it.
CREATE TABLE auth_passkeys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    counter BIGINT NOT NULL CHECK (counter >= 0 AND counter <= 4294967295),
    credential TEXT NOT NULL
);
CREATE INDEX auth_passkeys_user_id ON auth_passkeys (user_id, created_at);

-- A ceremony's state between its options and its answer; taken once.
CREATE TABLE auth_ceremonies (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX auth_ceremonies_expires_at ON auth_ceremonies (expires_at);
