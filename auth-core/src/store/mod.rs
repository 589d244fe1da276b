//! Where the flows keep their state, behind traits.
//!
//! Each trait is one concern and is shaped for atomic operations, so that a
//! shared store (Redis, PostgreSQL) can serve several instances: rotation,
//! single use and throttling counters are each one call, never a read followed
//! by a write the caller would have to make atomic. [`MemoryStore`] is the
//! embedded default.
//!
//! Every method may fail with [`StoreError::Unavailable`] when the
//! store cannot be reached; flows pass that on (HTTP 503), never panic.

#[cfg(any(test, feature = "conformance"))]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub mod conformance;
mod error;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod records;
#[cfg(feature = "redis")]
mod redis;
mod sync;

use async_trait::async_trait;

use crate::flow::ClientInfo;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::{RedisStore, decode_revocation_message};
pub use crate::revocation::Revocation;
pub use error::StoreError;
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use postgres::PostgresStore;
pub use records::{
    ApiKey, Attempt, Failures, NewUser, NextRefresh, Passkey, PasskeyUse, PresentedRefresh,
    Rotation, SecretHash, Session, TotpState, User,
};
pub use sync::{
    ApiKeyIndex, ApiKeyLookup, Attach, Attached, BackgroundTask, StateSync, StoreEvent, SyncHandle,
};

/// User accounts.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Creates an account; [`StoreError::UsernameTaken`] if the name exists.
    async fn create_user(&self, user: NewUser) -> Result<User, StoreError>;
    /// The account named `username`.
    async fn user_by_name(&self, username: &str) -> Result<Option<User>, StoreError>;
    /// The account with id `id`.
    async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError>;
    /// Replaces the password hash (after a re-hash with new parameters);
    /// [`StoreError::NotFound`] if there is no such user.
    async fn set_password_hash(&self, id: &str, phc: &str) -> Result<(), StoreError>;
    /// Sets or clears the TOTP enrolment; [`StoreError::NotFound`] if there is no such user.
    async fn set_totp(&self, id: &str, totp: Option<TotpState>) -> Result<(), StoreError>;
    /// Replaces the recovery codes (hashes only); [`StoreError::NotFound`] if there is no such user.
    async fn set_recovery_codes(&self, id: &str, codes: Vec<SecretHash>) -> Result<(), StoreError>;
    /// Removes the recovery code `code` if the user has it; `true` when it was
    /// there (`false` for an unknown user). Atomic: of two concurrent calls
    /// with one code, one gets `true`.
    async fn consume_recovery_code(&self, id: &str, code: &SecretHash) -> Result<bool, StoreError>;
}

/// Login sessions and their refresh-token families.
///
/// A family's record has a constant size as it rotates (see [`Rotation`]):
/// the current token's hash and generation, the previous token's hash, the
/// current token sealed under the previous one, and when it was rotated. No
/// per-token record is kept, so nothing grows with the number of refreshes.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Starts a session whose first refresh token (generation 0) hashes to
    /// `refresh`, the family living until `refresh_expires_at`. `session.sid`
    /// must be fresh (random): the store does not check it.
    async fn create_session(
        &self,
        session: &Session,
        refresh: &SecretHash,
        refresh_expires_at: i64,
    ) -> Result<(), StoreError>;

    /// Presents a refresh token of family `presented.sid`, atomically:
    ///
    /// - family unknown, revoked or expired at `now`, or the token itself
    ///   expired (`presented.expires_at <= now`): [`Rotation::Invalid`];
    /// - the current token (its generation and hash): `next` becomes current,
    ///   the presented one becomes the previous one, the family lives until at
    ///   least `next_expires_at`: [`Rotation::Rotated`];
    /// - the previous token (generation one less than the current, and its
    ///   hash), rotated at most `reuse_interval` seconds before `now` (and
    ///   `reuse_interval > 0`): nothing changes, [`Rotation::Repeated`] with
    ///   the current token's sealed form;
    /// - any other older generation, or the previous token past the interval:
    ///   reuse (RFC 9700 §4.14.2), the family is revoked, [`Rotation::Reused`];
    /// - the current generation with another hash, or a later generation:
    ///   [`Rotation::Invalid`].
    ///
    /// Of concurrent calls with the current token, exactly one rotates; within
    /// the interval the others get [`Rotation::Repeated`], with a zero
    /// interval the first of them revokes the family.
    ///
    /// A rotation is a use of the session: it records `now` as its
    /// `last_used_at` and `client` as its address and user agent, and
    /// [`Rotation::Rotated`] carries the session so updated.
    async fn rotate_refresh(
        &self,
        presented: &PresentedRefresh,
        next: &NextRefresh,
        now: i64,
        next_expires_at: i64,
        reuse_interval: i64,
        client: &ClientInfo,
    ) -> Result<Rotation, StoreError>;

    /// The live session `sid`; `None` once it is revoked or expired.
    async fn session(&self, sid: &str) -> Result<Option<Session>, StoreError>;

    /// Revokes session `sid`; returns it if it was live.
    async fn revoke_session(&self, sid: &str) -> Result<Option<Session>, StoreError>;

    /// Revokes every session of `user_id`; returns those that were live.
    async fn revoke_user_sessions(&self, user_id: &str) -> Result<Vec<Session>, StoreError>;

    /// The live sessions of `user_id`, in no particular order (for a person
    /// to see where they are signed in).
    async fn user_sessions(&self, user_id: &str) -> Result<Vec<Session>, StoreError>;
}

/// Revocations, kept so that every instance (and a restarted one) can load them.
#[async_trait]
pub trait RevocationStore: Send + Sync + 'static {
    /// Records `revocation` (and, in shared stores, tells the other instances).
    async fn revoke(&self, revocation: &Revocation) -> Result<(), StoreError>;
    /// Every revocation still in force at `now` (`expires_at() >= now`).
    async fn active_revocations(&self, now: i64) -> Result<Vec<Revocation>, StoreError>;
}

/// Counters of attempts (login, second factor, registration), per account
/// and per address, in fixed windows.
///
/// A limit holds under concurrent requests only if the decision and the
/// count are one step: [`reserve_attempt`](Self::reserve_attempt) is that
/// step. A caller reserves before doing the work the limit protects (a
/// password check), gives the reservation back with
/// [`release_attempt`](Self::release_attempt) when the attempt must not count
/// (a success, an attempt the server could not check), and leaves it counted
/// as a failure otherwise.
#[async_trait]
pub trait ThrottleStore: Send + Sync + 'static {
    /// The attempts counted for `key` in the window running at `now`; when
    /// none runs (`now >= window_ends`), a count of 0 with `window_ends == now`.
    async fn failures(&self, key: &str, now: i64) -> Result<Failures, StoreError>;

    /// Counts one failure for `key`, whatever the count; a fixed window of
    /// `window_secs` (at least one second) starts at the first failure, and
    /// the next failure after it ends starts a new one. Returns the updated
    /// count. Atomic.
    async fn record_failure(
        &self,
        key: &str,
        now: i64,
        window_secs: i64,
    ) -> Result<Failures, StoreError>;

    /// Counts one attempt for `key` if fewer than `limit` are counted in the
    /// window running at `now` ([`Attempt::Reserved`], the count including
    /// this one); otherwise counts nothing ([`Attempt::Refused`]). A window
    /// starts as in [`record_failure`](Self::record_failure). Atomic: of any
    /// number of concurrent calls, at most `limit` minus the count already
    /// there are reserved.
    async fn reserve_attempt(
        &self,
        key: &str,
        now: i64,
        window_secs: i64,
        limit: u32,
    ) -> Result<Attempt, StoreError>;

    /// Gives one reserved attempt back: the count of the window running at
    /// `now` goes down by one (never below zero); a window whose count reaches
    /// zero is forgotten, so attempts given back leave nothing stored.
    async fn release_attempt(&self, key: &str, now: i64) -> Result<(), StoreError>;

    /// Forgets the failures of `key` (after a successful login).
    async fn clear_failures(&self, key: &str) -> Result<(), StoreError>;
}

/// Single use of short-lived things: a TOTP code per time step, an `mfa_token`,
/// an emailed one-time code.
#[async_trait]
pub trait OneTimeStore: Send + Sync + 'static {
    /// Marks `key` used until `expires_at` (inclusive); `true` if it was not
    /// marked. Once a mark has expired the key is usable again. Atomic: of
    /// concurrent calls with one key, exactly one gets `true`.
    async fn use_once(&self, key: &str, expires_at: i64) -> Result<bool, StoreError>;

    /// Whether `key` is marked at `now` (by [`use_once`](Self::use_once),
    /// until its `expires_at`), without marking it.
    async fn is_used(&self, key: &str, now: i64) -> Result<bool, StoreError>;

    /// Keeps `code`, the hash of a short-lived code sent to a user (email,
    /// SMS), under `key` until `expires_at`, replacing any code already there:
    /// only the latest code issued for a key can be used.
    ///
    /// [`use_once`](Self::use_once) cannot do this: it can only record that a
    /// key was used, not that a code was issued, so the code to expect has to
    /// be kept until [`consume_code`](Self::consume_code) takes it.
    async fn put_code(
        &self,
        key: &str,
        code: &SecretHash,
        expires_at: i64,
    ) -> Result<(), StoreError>;

    /// Single use of a code kept by [`put_code`](Self::put_code): if `key`
    /// holds `code` (compared in constant time) and it has not expired at
    /// `now`, removes it and returns `true`. Otherwise returns `false` and
    /// leaves a stored code in place, so a wrong guess does not cancel the
    /// right code (guessing is throttled by the caller). Atomic: of concurrent
    /// calls with the right code, exactly one gets `true`.
    async fn consume_code(
        &self,
        key: &str,
        code: &SecretHash,
        now: i64,
    ) -> Result<bool, StoreError>;
}

/// API keys (hashes only).
#[async_trait]
pub trait ApiKeyStore: Send + Sync + 'static {
    /// Stores a new key, unless its owner already has `max_per_user` keys:
    /// then nothing is stored and the answer is [`StoreError::TooManyApiKeys`].
    /// Atomic: of concurrent creations for one user, no more than the limit
    /// succeed.
    async fn create_api_key(&self, key: &ApiKey, max_per_user: usize) -> Result<(), StoreError>;
    /// The key with this hash.
    async fn api_key_by_hash(&self, hash: &SecretHash) -> Result<Option<ApiKey>, StoreError>;
    /// Deletes key `id` of `user_id`; `false` if there is none (or it is someone else's).
    async fn revoke_api_key(&self, user_id: &str, id: &str) -> Result<bool, StoreError>;
    /// Every stored key, of every user: what an instance loads into its
    /// [`ApiKeyIndex`] at start and after a reconnection.
    async fn all_api_keys(&self) -> Result<Vec<ApiKey>, StoreError>;
}

/// Passkeys (WebAuthn credentials) and the state of their ceremonies.
///
/// Sign-in reads a passkey from here every time, so a deletion takes effect
/// on every instance at once. A ceremony (the challenge an options call
/// issued, with what the relying party must remember of it) lives here too,
/// so a ceremony started on one instance finishes on another; it is taken
/// once and expires.
#[async_trait]
pub trait PasskeyStore: Send + Sync + 'static {
    /// Stores a new passkey. [`StoreError::PasskeyTaken`] if a passkey with
    /// its id exists (whoever owns it), [`StoreError::TooManyPasskeys`] if
    /// its owner already holds `max_per_user`; either way nothing is stored.
    /// Atomic: of concurrent creations, no more than the limit succeed and
    /// one id is stored once.
    async fn create_passkey(
        &self,
        passkey: &Passkey,
        max_per_user: usize,
    ) -> Result<(), StoreError>;

    /// The passkey with credential id `id`.
    async fn passkey(&self, id: &str) -> Result<Option<Passkey>, StoreError>;

    /// The passkeys of `user_id`, oldest first.
    async fn user_passkeys(&self, user_id: &str) -> Result<Vec<Passkey>, StoreError>;

    /// Records a sign-in with passkey `id` whose authenticator reported
    /// `counter`, atomically: when `counter` or the stored counter is
    /// non-zero, `counter` must be greater than the stored one
    /// ([`PasskeyUse::CounterRegressed`] otherwise, changing nothing); then
    /// the counter, the serialised `credential` and `last_used_at = now` are
    /// stored. Of concurrent uses reporting one counter, one is recorded.
    async fn record_passkey_use(
        &self,
        id: &str,
        counter: u32,
        credential: &str,
        now: i64,
    ) -> Result<PasskeyUse, StoreError>;

    /// Deletes passkey `id` of `user_id`; `false` if there is none (or it is
    /// someone else's).
    async fn delete_passkey(&self, user_id: &str, id: &str) -> Result<bool, StoreError>;

    /// Keeps a ceremony's `state` under `key` until `expires_at`, replacing
    /// one already there.
    async fn put_ceremony(&self, key: &str, state: &str, expires_at: i64)
    -> Result<(), StoreError>;

    /// Takes the ceremony under `key`: its state if it was there and
    /// unexpired at `now` (`now < expires_at`), and it is gone either way.
    /// Atomic: of concurrent calls, one gets the state.
    async fn take_ceremony(&self, key: &str, now: i64) -> Result<Option<String>, StoreError>;
}

/// The synchronous API-key lookup of the request path.
///
/// The layer checks `X-API-Key` on every request without awaiting, so this
/// answers from memory: [`MemoryStore`] from its own map, shared stores from
/// a local [`ApiKeyIndex`] their sync task keeps fed. With [`MemoryStore`],
/// deleting a key makes the lookup miss at once; with a shared store, as
/// soon as the sync task receives the deletion's announcement (every instance,
/// the deleting one included, within the propagation delay of the store).
pub trait ApiKeyView: Send + Sync + 'static {
    /// The key with this hash.
    fn api_key(&self, hash: &SecretHash) -> Option<ApiKey>;
}

/// What the flows keep besides user accounts: sessions and their refresh
/// families, revocations, throttling windows, single-use marks and codes,
/// API keys, passkeys. Implemented by every type that implements the six traits.
///
/// With [`AuthenticatorBuilder::users`](crate::flow::AuthenticatorBuilder::users),
/// an application keeps its own user table (any [`UserStore`]) and this state
/// in one of the library's stores.
pub trait SessionState:
    SessionStore + RevocationStore + ThrottleStore + OneTimeStore + ApiKeyStore + PasskeyStore
{
}

impl<T> SessionState for T where
    T: SessionStore + RevocationStore + ThrottleStore + OneTimeStore + ApiKeyStore + PasskeyStore
{
}

/// Everything the flows need, in one store: users and [`SessionState`].
pub trait Store: UserStore + SessionState {}

impl<T> Store for T where T: UserStore + SessionState {}
