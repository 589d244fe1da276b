//! A store in Redis, shared by every instance of an app (feature `redis`):
//! see [`RedisStore`]. One file per store trait; the Lua scripts are in
//! `scripts/`.

mod api_keys;
mod decode;
mod events;
mod one_time;
mod passkeys;
mod revocations;
mod sessions;
mod sync;
mod throttle;
mod users;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script};

use crate::store::StoreError;

pub use revocations::decode_revocation_message;

/// The [`Store`](super::Store) in Redis: refresh families, revocations,
/// throttling, single-use marks and codes, users and API keys, shared by every
/// instance connected to the same Redis with the same prefix. Cloning shares
/// the connection.
///
/// Every operation that must be atomic is one round trip: a Lua script
/// (`scripts/*.lua`, sent as `EVALSHA`, loaded again by itself after a Redis
/// restart) or a single command (`SET NX`, `SREM`). Scripts read keys whose
/// names they derive from what they find (a token's session, a user's
/// sessions), so this store needs one Redis server (with replicas if you
/// like), not Redis Cluster.
///
/// # Keys
///
/// All keys start with the store's prefix (`auth:` unless
/// [`RedisStore::with_prefix`] says otherwise), so apps can share a Redis and
/// tests can isolate themselves. Every key expires when it stops mattering:
///
/// | key | holds | expires |
/// |---|---|---|
/// | `session:{sid}` | a session and its refresh-token family's state (hash, constant size) | at the expiry of its newest refresh token |
/// | `user_sessions:{user id}` | the sids of a user's sessions (set; an expired sid leaves it when the user's sessions are listed) | with the longest-lived of them |
/// | `revocation:{kind}:{subject}` | a revocation (hash) | once it is no longer in force |
/// | `revocations:by_expiry` | the index of revocations (sorted set) | with the longest-lived of them |
/// | `throttle:{key}` | a window of failures (hash) | when the window ends |
/// | `once:{key}` | a single-use mark (string) | when the mark ends |
/// | `code:{key}` | a kept one-time code (string) | at the code's expiry |
/// | `user:{id}`, `username:{name}`, `recovery:{id}` | an account, its name, its recovery codes | never: accounts are permanent records |
/// | `apikey:{hash}`, `apikey_id:{id}`, `apikeys`, `apikeys_user:{user id}` | an API key, its id, the set of ids, its owner's ids | never: keys last until deleted |
///
/// Revocations, API-key creations and API-key deletions are also published
/// on the channel `{prefix}revocations` (see [`RedisStore::revocation_channel`]
/// and [`RedisStore::decode_event`]), so other instances can update their
/// local views at once: [`spawn_sync`](super::StateSync::spawn_sync) does that.
///
/// # Failures
///
/// A connection failure, a timeout, an error from Redis or a record that does
/// not parse all come back as [`StoreError::Unavailable`], never as a panic;
/// the message names what failed, never a key or a value. Each operation has
/// a timeout (2 s unless [`RedisStore::connect_with_timeout`] says otherwise),
/// so a stopped Redis answers quickly instead of hanging. The connection is
/// re-established by itself: once Redis is back, operations succeed again
/// with no restart (the first one after a lost connection may still fail).
///
/// [`ApiKeyView`](super::ApiKeyView), the synchronous lookup of the request
/// path, is not implemented here: it is an [`ApiKeyIndex`](super::ApiKeyIndex)
/// that [`spawn_sync`](super::StateSync::spawn_sync) keeps fed.
///
/// ```no_run
/// use auth_core::store::{RedisStore, UserStore};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let store = RedisStore::connect("redis://127.0.0.1:6379").await?.with_prefix("myapp:auth:");
/// let user = store.user_by_name("ada").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    /// For the sync task's own subscription connection.
    client: redis::Client,
    connection: ConnectionManager,
    prefix: Arc<str>,
    timeout: Duration,
    scripts: Arc<Scripts>,
}

/// The latest moment given to `EXPIREAT` (the end of year 9999): later
/// moments would overflow Redis' milliseconds, and mean "never" anyway.
const LATEST_EXPIRY: i64 = 253_402_300_799;

impl RedisStore {
    /// The prefix of every key unless [`RedisStore::with_prefix`] sets another.
    pub const DEFAULT_PREFIX: &str = "auth:";

    /// How long one operation may take unless
    /// [`RedisStore::connect_with_timeout`] says otherwise.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

    /// Connects to the Redis at `url` (`redis://[user:password@]host[:port][/db]`
    /// or `redis+unix:///path`),
    /// giving each operation [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT).
    ///
    /// Fails with [`StoreError::Unavailable`] if the URL is malformed or Redis
    /// does not answer in time: a misconfigured app stops at start rather
    /// than running half-configured. After that, lost connections are
    /// re-established by themselves.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with_timeout(url, Self::DEFAULT_TIMEOUT).await
    }

    /// [`connect`](Self::connect), giving each operation (and the connection
    /// itself) `timeout` to finish; past it, the operation fails with
    /// [`StoreError::Unavailable`].
    pub async fn connect_with_timeout(url: &str, timeout: Duration) -> Result<Self, StoreError> {
        // The message must not repeat the URL: it may hold a password.
        let client = redis::Client::open(url).map_err(|_| {
            StoreError::Unavailable(
                "Redis URL refused: malformed, or TLS (rediss://), which this build lacks"
                    .to_owned(),
            )
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            // Requests Redis never answers leave the connection's queue too.
            .set_response_timeout(Some(timeout))
            // Operations give up after their timeout anyway; a short retry
            // schedule keeps each reconnection attempt within it.
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let connecting = ConnectionManager::new_with_config(client.clone(), config);
        let connection = within(timeout, connecting).await?;
        Ok(Self {
            client,
            connection,
            prefix: Arc::from(Self::DEFAULT_PREFIX),
            timeout,
            scripts: Arc::new(Scripts::new()),
        })
    }

    /// A store over a connection the application already has: `connection`
    /// (a `ConnectionManager`, which reconnects by itself) for operations,
    /// and `client`, the same server's client, for the sync's subscription
    /// connection. Each operation gets [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT).
    ///
    /// ```no_run
    /// use auth_core::store::RedisStore;
    ///
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = redis::Client::open("redis://127.0.0.1:6379")?;
    /// let connection = redis::aio::ConnectionManager::new(client.clone()).await?;
    /// let store = RedisStore::from_connection(client, connection).with_prefix("myapp:auth:");
    /// # Ok(()) }
    /// ```
    pub fn from_connection(client: redis::Client, connection: ConnectionManager) -> Self {
        Self {
            client,
            connection,
            prefix: Arc::from(Self::DEFAULT_PREFIX),
            timeout: Self::DEFAULT_TIMEOUT,
            scripts: Arc::new(Scripts::new()),
        }
    }

    /// Puts every key under `prefix` (for instance `"myapp:auth:"`) instead of
    /// [`DEFAULT_PREFIX`](Self::DEFAULT_PREFIX). Instances that share data
    /// must share the prefix.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Arc::from(prefix.into());
        self
    }

    /// The prefix of every key this store writes.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The channel on which [`revoke`](super::RevocationStore::revoke)
    /// publishes each revocation, and API-key creation and deletion their
    /// events, `{prefix}revocations`; decode the messages with
    /// [`decode_event`](Self::decode_event) (or, for revocations only,
    /// [`decode_revocation_message`]).
    pub fn revocation_channel(&self) -> String {
        format!("{}revocations", self.prefix)
    }

    /// The full name of the key `kind:{name}`.
    fn key(&self, kind: &str, name: &str) -> String {
        format!("{}{kind}:{name}", self.prefix)
    }

    /// A connection handle for one operation (a clone shares the connection).
    fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    /// Runs one operation within the store's timeout.
    async fn run<T>(
        &self,
        operation: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        within(self.timeout, operation).await
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connection's Debug would print the address, and with it a password.
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Awaits `operation` for at most `timeout`, mapping every failure to
/// [`StoreError::Unavailable`].
async fn within<T>(
    timeout: Duration,
    operation: impl Future<Output = redis::RedisResult<T>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(timeout, operation).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(unavailable(&error)),
        Err(_) => Err(StoreError::Unavailable(format!(
            "Redis did not answer within {} ms",
            timeout.as_millis()
        ))),
    }
}

/// What went wrong, in words that hold no key, value or address: Redis'
/// own messages may quote them.
fn unavailable(error: &RedisError) -> StoreError {
    let cause = if error.is_connection_refusal() {
        "connection refused".to_owned()
    } else if error.is_timeout() {
        "timed out".to_owned()
    } else if let Some(code) = error.code() {
        format!("{} ({code})", error.category())
    } else {
        error.category().to_owned()
    };
    StoreError::Unavailable(format!("Redis: {cause}"))
}

/// The moment to give `EXPIREAT` for a record that stops mattering at `at`.
fn expiry(at: i64) -> i64 {
    // EXPIREAT accepts any moment in range (a past one deletes the key); SET
    // EXAT refuses 0 and below, so 1 is the earliest for both.
    at.clamp(1, LATEST_EXPIRY)
}

/// The Lua scripts, hashed once per store.
struct Scripts {
    create_user: Script,
    get_user: Script,
    update_user: Script,
    set_recovery_codes: Script,
    create_session: Script,
    rotate_refresh: Script,
    revoke_session: Script,
    revoke_user_sessions: Script,
    user_sessions: Script,
    revoke: Script,
    active_revocations: Script,
    record_failure: Script,
    reserve_attempt: Script,
    release_attempt: Script,
    consume_code: Script,
    create_api_key: Script,
    revoke_api_key: Script,
    all_api_keys: Script,
    create_passkey: Script,
    user_passkeys: Script,
    record_passkey_use: Script,
    delete_passkey: Script,
}

impl Scripts {
    fn new() -> Self {
        macro_rules! script {
            ($name:literal) => {
                Script::new(include_str!(concat!("scripts/", $name, ".lua")))
            };
        }
        Self {
            create_user: script!("create_user"),
            get_user: script!("get_user"),
            update_user: script!("update_user"),
            set_recovery_codes: script!("set_recovery_codes"),
            create_session: script!("create_session"),
            rotate_refresh: script!("rotate_refresh"),
            revoke_session: script!("revoke_session"),
            revoke_user_sessions: script!("revoke_user_sessions"),
            user_sessions: script!("user_sessions"),
            revoke: script!("revoke"),
            active_revocations: script!("active_revocations"),
            record_failure: script!("record_failure"),
            reserve_attempt: script!("reserve_attempt"),
            release_attempt: script!("release_attempt"),
            consume_code: script!("consume_code"),
            create_api_key: script!("create_api_key"),
            revoke_api_key: script!("revoke_api_key"),
            all_api_keys: script!("all_api_keys"),
            create_passkey: script!("create_passkey"),
            user_passkeys: script!("user_passkeys"),
            record_passkey_use: script!("record_passkey_use"),
            delete_passkey: script!("delete_passkey"),
        }
    }
}
