//! [`Attached`]: what one app instance runs beside its store, in one handle.

use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::ApiKeyIndex;
use crate::revocation::{RevocationList, RevocationView};
use crate::store::{ApiKey, ApiKeyView, MemoryStore, SecretHash, StoreError};

/// A store an app instance attaches to: [`attach`](Attach::attach) starts
/// whatever the store needs running beside the instance (with Redis and
/// PostgreSQL, the sync of the local revocation view and API-key index; with
/// PostgreSQL, the purge of expired rows too) and hands back the local views
/// the verifier and the layer read.
///
/// ```
/// use std::time::Duration;
/// use auth_core::store::{Attach, MemoryStore};
/// use auth_core::{Algorithm, Authenticator, KeySet, TokenIssuer};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let store = MemoryStore::new(); // or RedisStore::connect(url).await?, PostgresStore::connect(url).await?
/// let attached = store.attach();
/// attached.ready(Duration::from_secs(10)).await?; // the views hold what the store holds
/// let issuer = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://id.example", "api");
/// let auth = Authenticator::builder(issuer, store).attached(&attached).build().await?;
/// let api_keys = attached.api_keys(); // for `AuthLayer::api_key_header`
/// # let _ = (auth, api_keys);
/// // Keep `attached` as long as the app serves: dropping it stops its tasks.
/// # Ok(()) }
/// ```
pub trait Attach: crate::store::Store + Clone {
    /// Starts what this store needs beside one app instance. Must be called
    /// within a Tokio runtime for the shared stores.
    fn attach(&self) -> Attached;
}

impl Attach for MemoryStore {
    /// Nothing runs: the memory store is its own API-key view, and the
    /// revocation view is fed within the process.
    fn attach(&self) -> Attached {
        let (loaded, _) = watch::channel(true);
        Attached {
            revocations: RevocationList::new(),
            api_keys: ApiKeyLookup(Lookup::Memory(self.clone())),
            index: None,
            loaded: loaded.subscribe(),
            _loaded: loaded,
            _tasks: Vec::new(),
        }
    }
}

/// The local views of one app instance and the tasks that keep them current
/// (see [`Attach`]). Dropping it stops the tasks.
#[derive(Debug)]
pub struct Attached {
    revocations: RevocationList,
    api_keys: ApiKeyLookup,
    index: Option<ApiKeyIndex>,
    loaded: watch::Receiver<bool>,
    _loaded: watch::Sender<bool>,
    _tasks: Vec<BackgroundTask>,
}

impl Attached {
    /// Views fed by `sync`, which sets `loaded` after its first load.
    #[cfg(any(feature = "redis", feature = "postgres"))]
    pub(crate) fn synced(
        revocations: RevocationList,
        index: ApiKeyIndex,
        loaded: watch::Sender<bool>,
        tasks: Vec<BackgroundTask>,
    ) -> Self {
        Attached {
            revocations,
            api_keys: ApiKeyLookup(Lookup::Index(index.clone())),
            index: Some(index),
            loaded: loaded.subscribe(),
            _loaded: loaded,
            _tasks: tasks,
        }
    }

    /// The revocation view the verifiers must consult.
    pub fn revocations(&self) -> RevocationList {
        self.revocations.clone()
    }

    /// The synchronous API-key lookup of the request path.
    pub fn api_keys(&self) -> ApiKeyLookup {
        self.api_keys.clone()
    }

    /// The local index the flows update at once for the keys this instance
    /// creates or deletes (shared stores only).
    pub(crate) fn api_key_index(&self) -> Option<ApiKeyIndex> {
        self.index.clone()
    }

    /// Waits until the views have loaded everything the store holds (at once
    /// for the memory store), or fails after `timeout` with
    /// [`StoreError::Unavailable`]: an instance must not serve with a view
    /// that misses revocations made before it started.
    pub async fn ready(&self, timeout: Duration) -> Result<(), StoreError> {
        let mut loaded = self.loaded.clone();
        let waited = tokio::time::timeout(timeout, loaded.wait_for(|loaded| *loaded)).await;
        match waited {
            Ok(Ok(_)) => Ok(()),
            _ => Err(StoreError::Unavailable(format!(
                "the revocations and API keys did not load within {} s",
                timeout.as_secs()
            ))),
        }
    }

    /// The last moment the views were known complete; `None` until the first
    /// load (and, for the memory store, always: it never goes stale).
    pub fn last_synced(&self) -> Option<Instant> {
        self.revocations.last_synced()
    }

    /// Whether the views have not been known complete within `max_age`.
    pub fn is_stale(&self, max_age: Duration) -> bool {
        !self.revocations.is_complete_within(max_age)
    }
}

/// The synchronous API-key lookup an instance's layer reads: the memory
/// store itself, or the local index a shared store's sync keeps fed. Cloning
/// shares it.
#[derive(Clone, Debug)]
pub struct ApiKeyLookup(Lookup);

#[derive(Clone)]
enum Lookup {
    Memory(MemoryStore),
    #[cfg(any(feature = "redis", feature = "postgres"))]
    Index(ApiKeyIndex),
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lookup::Memory(_) => f.write_str("Memory"),
            #[cfg(any(feature = "redis", feature = "postgres"))]
            Lookup::Index(index) => f.debug_tuple("Index").field(index).finish(),
        }
    }
}

impl ApiKeyView for ApiKeyLookup {
    fn api_key(&self, hash: &SecretHash) -> Option<ApiKey> {
        match &self.0 {
            Lookup::Memory(store) => store.api_key(hash),
            #[cfg(any(feature = "redis", feature = "postgres"))]
            Lookup::Index(index) => index.api_key(hash),
        }
    }
}

/// A task running beside an app instance; dropping the handle stops it.
#[derive(Debug)]
pub struct BackgroundTask(JoinHandle<()>);

impl BackgroundTask {
    /// Runs `task` on the Tokio runtime until the handle is dropped.
    #[cfg(any(feature = "redis", feature = "postgres"))]
    pub(crate) fn spawn(task: impl Future<Output = ()> + Send + 'static) -> Self {
        BackgroundTask(tokio::spawn(task))
    }

    /// Stops the task (as dropping the handle does).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for BackgroundTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}
