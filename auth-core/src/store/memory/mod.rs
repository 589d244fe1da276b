//! The embedded store: everything in process memory, lost on restart.
//!
//! Each concern has its own lock, taken for one map operation and never held
//! across an `.await` (the async methods do not await at all). Records that
//! expire are dropped once their moment has passed: every write first sweeps
//! what has fallen due (amortised O(log n) per record, see `expiry`), and
//! [`MemoryStore::purge_expired`] sweeps everything at a given moment.
//! Sweeps on writes read the system clock; the `now` arguments of the trait
//! methods decide validity only.

mod api_keys;
mod expiry;
mod one_time;
mod passkeys;
mod revocations;
mod sessions;
mod throttle;
mod users;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use async_trait::async_trait;

use super::{
    ApiKey, ApiKeyStore, ApiKeyView, Attempt, Failures, NewUser, NextRefresh, OneTimeStore,
    Passkey, PasskeyStore, PasskeyUse, PresentedRefresh, Revocation, RevocationStore, Rotation,
    SecretHash, Session, SessionStore, ThrottleStore, TotpState, User, UserStore,
};
use crate::flow::ClientInfo;
use crate::store::StoreError;
use crate::time::now as clock;

use api_keys::ApiKeys;
use one_time::OneTime;
use passkeys::Passkeys;
use revocations::Revocations;
use sessions::Sessions;
use throttle::Throttle;
use users::Users;

/// The in-memory [`Store`](super::Store): the default for a single instance,
/// and for tests.
///
/// Cloning shares the data (an [`Arc`] inside): clones behave as one store.
///
/// Refresh rotation follows RFC 9700 §4.14.2: presenting a retired refresh
/// token revokes its family, except the token rotated last, within the reuse
/// interval the flows pass (so that two tabs refreshing at once both get the
/// same successor). A family is one record however often it rotates.
///
/// ```
/// use auth_core::store::{MemoryStore, NewUser, UserStore};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// let user = store
///     .create_user(NewUser { username: "ada".into(), password_hash: None, roles: vec![] })
///     .await?;
/// assert_eq!(store.user_by_name("ada").await?, Some(user));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    users: Mutex<Users>,
    sessions: Mutex<Sessions>,
    revocations: Mutex<Revocations>,
    throttle: Mutex<Throttle>,
    one_time: Mutex<OneTime>,
    passkeys: Mutex<Passkeys>,
    /// Read on every request carrying an API key, hence a read-write lock.
    api_keys: RwLock<ApiKeys>,
}

/// Locks `mutex`. A poisoned lock only means a thread panicked while holding
/// it; every mutation here completes or does not start, so the data is sound.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Drops every record whose expiry is before `now`: retired and expired
    /// refresh hashes, expired sessions, revocations, throttling windows and
    /// single-use marks and codes, passkey ceremonies. Writes do this lazily;
    /// this does it all at once.
    pub fn purge_expired(&self, now: i64) {
        lock(&self.inner.sessions).sweep(now);
        lock(&self.inner.revocations).sweep(now);
        lock(&self.inner.throttle).sweep(now);
        lock(&self.inner.one_time).sweep(now);
        lock(&self.inner.passkeys).sweep(now);
    }

    /// How many records are held (users, sessions, refresh hashes,
    /// revocations, throttling windows, single-use marks and codes, API keys,
    /// passkeys and their ceremonies), for metrics and tests.
    pub fn len(&self) -> usize {
        lock(&self.inner.users).len()
            + lock(&self.inner.sessions).len()
            + lock(&self.inner.revocations).len()
            + lock(&self.inner.throttle).len()
            + lock(&self.inner.one_time).len()
            + lock(&self.inner.passkeys).len()
            + self.api_keys_read().len()
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn api_keys_read(&self) -> std::sync::RwLockReadGuard<'_, ApiKeys> {
        self.inner
            .api_keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn api_keys_write(&self) -> std::sync::RwLockWriteGuard<'_, ApiKeys> {
        self.inner
            .api_keys
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Expiry-queue entries waiting (for the boundedness tests).
    #[cfg(test)]
    fn queued(&self) -> usize {
        lock(&self.inner.sessions).queued()
            + lock(&self.inner.revocations).queued()
            + lock(&self.inner.throttle).queued()
            + lock(&self.inner.one_time).queued()
            + lock(&self.inner.passkeys).queued()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("records", &self.len())
            .finish()
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn create_user(&self, user: NewUser) -> Result<User, StoreError> {
        let id = crate::random::token_id()?;
        lock(&self.inner.users).create(user, id, clock())
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
        Ok(lock(&self.inner.users).by_name(username))
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        Ok(lock(&self.inner.users).by_id(id))
    }

    async fn set_password_hash(&self, id: &str, phc: &str) -> Result<(), StoreError> {
        lock(&self.inner.users).set_password_hash(id, phc)
    }

    async fn set_totp(&self, id: &str, totp: Option<TotpState>) -> Result<(), StoreError> {
        lock(&self.inner.users).set_totp(id, totp)
    }

    async fn set_recovery_codes(&self, id: &str, codes: Vec<SecretHash>) -> Result<(), StoreError> {
        lock(&self.inner.users).set_recovery_codes(id, codes)
    }

    async fn consume_recovery_code(&self, id: &str, code: &SecretHash) -> Result<bool, StoreError> {
        Ok(lock(&self.inner.users).consume_recovery_code(id, code))
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create_session(
        &self,
        session: &Session,
        refresh: &SecretHash,
        refresh_expires_at: i64,
    ) -> Result<(), StoreError> {
        let mut sessions = lock(&self.inner.sessions);
        sessions.sweep(clock());
        sessions.create(session, refresh, refresh_expires_at);
        Ok(())
    }

    async fn rotate_refresh(
        &self,
        presented: &PresentedRefresh,
        next: &NextRefresh,
        now: i64,
        next_expires_at: i64,
        reuse_interval: i64,
        client: &ClientInfo,
    ) -> Result<Rotation, StoreError> {
        let mut sessions = lock(&self.inner.sessions);
        sessions.sweep(clock());
        Ok(sessions.rotate(
            presented,
            next,
            (now, next_expires_at),
            reuse_interval,
            client,
        ))
    }

    async fn session(&self, sid: &str) -> Result<Option<Session>, StoreError> {
        Ok(lock(&self.inner.sessions).live(sid, clock()))
    }

    async fn revoke_session(&self, sid: &str) -> Result<Option<Session>, StoreError> {
        let mut sessions = lock(&self.inner.sessions);
        let at = clock();
        sessions.sweep(at);
        Ok(sessions.revoke(sid, at))
    }

    async fn revoke_user_sessions(&self, user_id: &str) -> Result<Vec<Session>, StoreError> {
        let mut sessions = lock(&self.inner.sessions);
        let at = clock();
        sessions.sweep(at);
        Ok(sessions.revoke_user(user_id, at))
    }

    async fn user_sessions(&self, user_id: &str) -> Result<Vec<Session>, StoreError> {
        Ok(lock(&self.inner.sessions).of_user(user_id, clock()))
    }
}

#[async_trait]
impl RevocationStore for MemoryStore {
    async fn revoke(&self, revocation: &Revocation) -> Result<(), StoreError> {
        let mut revocations = lock(&self.inner.revocations);
        revocations.sweep(clock());
        revocations.revoke(revocation);
        Ok(())
    }

    async fn active_revocations(&self, now: i64) -> Result<Vec<Revocation>, StoreError> {
        Ok(lock(&self.inner.revocations).active(now))
    }
}

#[async_trait]
impl ThrottleStore for MemoryStore {
    async fn failures(&self, key: &str, now: i64) -> Result<Failures, StoreError> {
        Ok(lock(&self.inner.throttle).failures(key, now))
    }

    async fn record_failure(
        &self,
        key: &str,
        now: i64,
        window_secs: i64,
    ) -> Result<Failures, StoreError> {
        let mut throttle = lock(&self.inner.throttle);
        throttle.sweep(clock());
        Ok(throttle.record_failure(key, now, window_secs))
    }

    async fn reserve_attempt(
        &self,
        key: &str,
        now: i64,
        window_secs: i64,
        limit: u32,
    ) -> Result<Attempt, StoreError> {
        let mut throttle = lock(&self.inner.throttle);
        throttle.sweep(clock());
        Ok(throttle.reserve(key, now, window_secs, limit))
    }

    async fn release_attempt(&self, key: &str, now: i64) -> Result<(), StoreError> {
        lock(&self.inner.throttle).release(key, now);
        Ok(())
    }

    async fn clear_failures(&self, key: &str) -> Result<(), StoreError> {
        lock(&self.inner.throttle).clear(key);
        Ok(())
    }
}

#[async_trait]
impl OneTimeStore for MemoryStore {
    async fn use_once(&self, key: &str, expires_at: i64) -> Result<bool, StoreError> {
        let mut one_time = lock(&self.inner.one_time);
        let at = clock();
        one_time.sweep(at);
        Ok(one_time.use_once(key, expires_at, at))
    }

    async fn is_used(&self, key: &str, now: i64) -> Result<bool, StoreError> {
        Ok(lock(&self.inner.one_time).is_used(key, now))
    }

    async fn put_code(
        &self,
        key: &str,
        code: &SecretHash,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let mut one_time = lock(&self.inner.one_time);
        one_time.sweep(clock());
        one_time.put_code(key, code, expires_at);
        Ok(())
    }

    async fn consume_code(
        &self,
        key: &str,
        code: &SecretHash,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(lock(&self.inner.one_time).consume_code(key, code, now))
    }
}

#[async_trait]
impl ApiKeyStore for MemoryStore {
    async fn create_api_key(&self, key: &ApiKey, max_per_user: usize) -> Result<(), StoreError> {
        self.api_keys_write().create(key, max_per_user)
    }

    async fn api_key_by_hash(&self, hash: &SecretHash) -> Result<Option<ApiKey>, StoreError> {
        Ok(self.api_key(hash))
    }

    async fn revoke_api_key(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        Ok(self.api_keys_write().revoke(user_id, id))
    }

    async fn all_api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        Ok(self.api_keys_read().all())
    }
}

#[async_trait]
impl PasskeyStore for MemoryStore {
    async fn create_passkey(
        &self,
        passkey: &Passkey,
        max_per_user: usize,
    ) -> Result<(), StoreError> {
        lock(&self.inner.passkeys).create(passkey, max_per_user)
    }

    async fn passkey(&self, id: &str) -> Result<Option<Passkey>, StoreError> {
        Ok(lock(&self.inner.passkeys).get(id))
    }

    async fn user_passkeys(&self, user_id: &str) -> Result<Vec<Passkey>, StoreError> {
        Ok(lock(&self.inner.passkeys).of_user(user_id))
    }

    async fn record_passkey_use(
        &self,
        id: &str,
        counter: u32,
        credential: &str,
        now: i64,
    ) -> Result<PasskeyUse, StoreError> {
        Ok(lock(&self.inner.passkeys).record_use(id, counter, credential, now))
    }

    async fn delete_passkey(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        Ok(lock(&self.inner.passkeys).delete(user_id, id))
    }

    async fn put_ceremony(
        &self,
        key: &str,
        state: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let mut passkeys = lock(&self.inner.passkeys);
        passkeys.sweep(clock());
        passkeys.put_ceremony(key, state, expires_at);
        Ok(())
    }

    async fn take_ceremony(&self, key: &str, now: i64) -> Result<Option<String>, StoreError> {
        Ok(lock(&self.inner.passkeys).take_ceremony(key, now))
    }
}

impl ApiKeyView for MemoryStore {
    fn api_key(&self, hash: &SecretHash) -> Option<ApiKey> {
        self.api_keys_read().by_hash(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::conformance::{self, StoreFactory};

    struct Memory;

    impl StoreFactory for Memory {
        type Store = MemoryStore;

        async fn create(&self) -> MemoryStore {
            MemoryStore::new()
        }

        async fn second_instance(&self, store: &MemoryStore) -> MemoryStore {
            store.clone()
        }
    }

    // Also run by tests/store_memory.rs (with the `conformance` feature); here
    // so that a plain `cargo test -p auth-core` covers the memory store too.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn passes_the_conformance_suite() {
        conformance::run_all(&Memory).await;
        conformance::api_key_view_follows_the_store(Arc::new(MemoryStore::new())).await;
    }

    #[tokio::test]
    async fn purge_empties_the_expiry_queues_too() {
        let store = MemoryStore::new();
        let at = clock();
        for i in 0..1000 {
            let session = Session {
                sid: format!("s{i}"),
                user_id: "u".into(),
                amr: Vec::new(),
                auth_time: at,
                created_at: at,
                last_used_at: at,
                ip: None,
                user_agent: None,
            };
            let first = SecretHash::of("t", format!("a{i}").as_bytes());
            let next = SecretHash::of("t", format!("b{i}").as_bytes());
            store
                .create_session(&session, &first, at + 10)
                .await
                .unwrap();
            // A rotation extends the session, but keeps its one queue entry.
            let presented = PresentedRefresh {
                sid: session.sid.clone(),
                generation: 0,
                expires_at: at + 10,
                hash: first,
            };
            let successor = NextRefresh {
                generation: 1,
                hash: next,
                sealed: vec![1, 2, 3],
            };
            let rotation = store
                .rotate_refresh(
                    &presented,
                    &successor,
                    at,
                    at + 20,
                    10,
                    &ClientInfo::unknown(),
                )
                .await
                .unwrap();
            assert!(matches!(rotation, Rotation::Rotated(_)));
            store
                .revoke(&Revocation::Session {
                    sid: session.sid,
                    until: at + 10,
                })
                .await
                .unwrap();
            store
                .record_failure(&format!("k{i}"), at, 10)
                .await
                .unwrap();
            store.use_once(&format!("o{i}"), at + 10).await.unwrap();
            store
                .put_code(&format!("c{i}"), &first, at + 10)
                .await
                .unwrap();
            store
                .put_ceremony(&format!("w{i}"), "state", at + 10)
                .await
                .unwrap();
        }
        // A cleared window leaves its queue entry behind until it falls due.
        store.clear_failures("k0").await.unwrap();
        assert_eq!(store.queued(), 1000 * 6, "one per record, rotated or not");
        store.purge_expired(at + 15);
        assert_eq!(store.len(), 1000, "the sessions, rotated to live on, stay");
        assert_eq!(
            store.queued(),
            1000,
            "their queue entries move to their new expiry, and only theirs stay"
        );
        store.purge_expired(at + 21);
        assert!(store.is_empty());
        assert_eq!(store.queued(), 0, "nothing may linger in the expiry queues");
    }
}
