//! The store `AUTH_DEMO_STORE` names, and what a shared store needs besides:
//! the sync task that keeps this instance's revocation view and API-key index
//! in step with every other instance, and (PostgreSQL) the purge of expired
//! rows.
//!
//! With Redis or PostgreSQL, start-up waits for the sync task's first load,
//! so an instance never serves with a view that misses revocations made
//! before it started.

use std::time::Duration;

use auth_core::flow::AuthenticatorBuilder;
use auth_core::store::{
    ApiKey, ApiKeyIndex, ApiKeyView, PostgresStore, RedisStore, SecretHash, StateSync, SyncHandle,
};
use auth_core::{Authenticator, MemoryStore, RevocationList, TokenIssuer};
use tokio::task::JoinHandle;

use super::Error;
use super::config::{self, StoreConfig};

/// How long connecting to the store (and bringing its tables up to date) may
/// take before start-up gives up: the stores' own timeouts are shorter, this
/// bounds what they do not (a migration waiting on another instance's lock).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// How long the sync task's first load of revocations and API keys may take
/// before start-up gives up.
const FIRST_SYNC_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the first load is checked for.
const FIRST_SYNC_POLL: Duration = Duration::from_millis(10);

/// How often expired PostgreSQL rows are purged.
const CLEANUP_INTERVAL: Duration = Duration::from_secs(60);

/// A connected store.
enum Backend {
    Memory(MemoryStore),
    Redis(RedisStore),
    Postgres(PostgresStore),
}

/// The store, connected, with this instance's local views and the tasks that
/// keep them current.
pub(crate) struct Connected {
    backend: Backend,
    revocations: RevocationList,
    /// The index the sync task feeds (shared stores only).
    api_keys: Option<ApiKeyIndex>,
    background: Background,
}

/// The tasks a shared store runs for this instance; dropping this stops them.
#[derive(Default)]
pub(crate) struct Background {
    /// Keeps the revocation view and the API-key index current.
    _sync: Option<SyncHandle>,
    /// Purges expired PostgreSQL rows.
    cleanup: Option<JoinHandle<()>>,
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(cleanup) = self.cleanup.take() {
            cleanup.abort();
        }
    }
}

/// Where the layer looks API keys up, synchronously: the memory store's own
/// map, or the index the sync task feeds from a shared store.
#[derive(Clone)]
pub(crate) enum ApiKeyLookup {
    Memory(MemoryStore),
    Index(ApiKeyIndex),
}

impl ApiKeyView for ApiKeyLookup {
    fn api_key(&self, hash: &SecretHash) -> Option<ApiKey> {
        match self {
            ApiKeyLookup::Memory(store) => store.api_key(hash),
            ApiKeyLookup::Index(index) => index.api_key(hash),
        }
    }
}

/// Connects to the store of `config`; with a shared store, starts the sync
/// task and waits for its first load (and starts the PostgreSQL cleanup).
/// Every failure names `AUTH_DEMO_STORE` and never repeats the URL.
pub(crate) async fn connect(config: &StoreConfig) -> Result<Connected, Error> {
    let revocations = RevocationList::new();
    let api_keys = ApiKeyIndex::new();
    let (backend, sync, cleanup) = match config {
        StoreConfig::Memory => {
            return Ok(Connected {
                backend: Backend::Memory(MemoryStore::new()),
                revocations,
                api_keys: None,
                background: Background::default(),
            });
        }
        StoreConfig::Redis(url) => {
            let store = bounded_connect(RedisStore::connect(url.expose())).await?;
            let sync = store.spawn_sync(revocations.clone(), api_keys.clone());
            (Backend::Redis(store), sync, None)
        }
        StoreConfig::Postgres(url) => {
            let store = bounded_connect(PostgresStore::connect(url.expose())).await?;
            let sync = store.spawn_sync(revocations.clone(), api_keys.clone());
            let cleanup = store.spawn_cleanup(CLEANUP_INTERVAL);
            (Backend::Postgres(store), sync, Some(cleanup))
        }
    };
    let loaded = tokio::time::timeout(FIRST_SYNC_TIMEOUT, async {
        while sync.last_synced().is_none() {
            tokio::time::sleep(FIRST_SYNC_POLL).await;
        }
    })
    .await;
    // From here on the tasks live as long as this; an early return stops them.
    let background = Background {
        _sync: Some(sync),
        cleanup,
    };
    if loaded.is_err() {
        return Err(Error::Config {
            variable: config::STORE,
            reason: format!(
                "connected, but the revocations and API keys in the store did not load \
                 within {} s; check that the store is healthy and reachable",
                FIRST_SYNC_TIMEOUT.as_secs()
            ),
        });
    }
    Ok(Connected {
        backend,
        revocations,
        api_keys: Some(api_keys),
        background,
    })
}

/// `connecting`, bounded by [`CONNECT_TIMEOUT`], its failure naming the variable.
async fn bounded_connect<T>(
    connecting: impl Future<Output = Result<T, auth_core::Error>>,
) -> Result<T, Error> {
    match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(Ok(store)) => Ok(store),
        Ok(Err(source)) => Err(Error::Setup {
            variable: config::STORE,
            source,
        }),
        Err(_) => Err(Error::Config {
            variable: config::STORE,
            reason: format!(
                "the store did not answer within {} s",
                CONNECT_TIMEOUT.as_secs()
            ),
        }),
    }
}

impl Connected {
    /// `memory`, `redis` or `postgres`, for the start-up log.
    pub(crate) fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Memory(_) => "memory",
            Backend::Redis(_) => "redis",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The revocation view the sync task feeds: give it to the token issuer
    /// so that its verifiers consult it.
    pub(crate) fn revocations(&self) -> RevocationList {
        self.revocations.clone()
    }

    /// An authenticator builder over this store, keeping the local API-key
    /// index current for the keys this instance creates and deletes.
    pub(crate) fn authenticator(&self, issuer: TokenIssuer) -> AuthenticatorBuilder {
        let builder = match &self.backend {
            Backend::Memory(store) => Authenticator::builder(issuer, store.clone()),
            Backend::Redis(store) => Authenticator::builder(issuer, store.clone()),
            Backend::Postgres(store) => Authenticator::builder(issuer, store.clone()),
        };
        match &self.api_keys {
            Some(index) => builder.api_key_index(index.clone()),
            None => builder,
        }
    }

    /// Where the layer looks API keys up.
    pub(crate) fn api_key_lookup(&self) -> ApiKeyLookup {
        match (&self.backend, &self.api_keys) {
            (_, Some(index)) => ApiKeyLookup::Index(index.clone()),
            (Backend::Memory(store), None) => ApiKeyLookup::Memory(store.clone()),
            // Shared stores always have an index; an empty one refuses every key.
            (_, None) => ApiKeyLookup::Index(ApiKeyIndex::new()),
        }
    }

    /// The background tasks, to keep for as long as the app serves.
    pub(crate) fn into_background(self) -> Background {
        self.background
    }
}
