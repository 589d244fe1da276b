//! A [`KeySet`] kept in step with another issuer's published JWK Set.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Url;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use super::RefreshPolicy;
use super::RemoteKeysError;
use super::fetch::{client, get_json, key_url};
use crate::keys::{JwkSet, KeySet, UnknownKeyHook, VerifyingKey, WeakKeySet};

/// The verification keys another issuer publishes at its `jwks_uri`, as a
/// verify-only [`KeySet`] that a background task keeps current.
///
/// The first fetch happens in [`RemoteJwks::fetch`], which fails if it does;
/// afterwards the set is fetched again before its lifetime runs out and when
/// a token names a key the set lacks (the issuer rotated). Each fetch
/// replaces the keys at once: keys no longer published stop verifying, new
/// ones start. A failed fetch keeps the keys as they were.
///
/// Verification never waits on the network: a token naming an unknown key
/// is refused at once ([`TokenRejection::UnknownKey`](crate::TokenRejection))
/// and only *signals* the task, which fetches at most once per
/// [`RefreshPolicy::min_fetch_interval`] however many signals arrive.
///
/// Cloning is cheap; the task ends when the last clone of the set (this
/// handle's, or a [`Verifier`](crate::Verifier)'s) is dropped. It runs on the
/// Tokio runtime `fetch` was called on.
///
/// ```no_run
/// use auth_core::{Validation, Verifier};
/// use auth_core::remote::RemoteJwks;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let jwks = RemoteJwks::fetch("https://id.example/.well-known/jwks.json").await?;
/// let verifier = Verifier::new(jwks.keys().clone(), Validation::new("https://id.example", "my-api"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RemoteJwks {
    keys: KeySet,
    uri: Arc<Url>,
    fetches: Arc<AtomicU64>,
}

impl RemoteJwks {
    /// Fetches the JWK Set at `uri` (https, or http to a loopback address)
    /// with the default [`RefreshPolicy`], and keeps it current.
    pub async fn fetch(uri: &str) -> Result<Self, RemoteKeysError> {
        Self::fetch_with(uri, RefreshPolicy::default()).await
    }

    /// Like [`RemoteJwks::fetch`], refreshing by `policy`.
    pub async fn fetch_with(uri: &str, policy: RefreshPolicy) -> Result<Self, RemoteKeysError> {
        let http = client(policy.timeout)?;
        Self::start(key_url(uri)?, http, policy).await
    }

    pub(super) async fn start(
        uri: Url,
        http: reqwest::Client,
        policy: RefreshPolicy,
    ) -> Result<Self, RemoteKeysError> {
        let fetches = Arc::new(AtomicU64::new(0));
        let (first, max_age) = fetch_keys(&http, &uri, &fetches).await?;
        let keys = KeySet::verify_only(first)
            .map_err(|error| RemoteKeysError::caused(uri.as_str(), "no usable key", error))?;
        let uri = Arc::new(uri);
        let signal = Arc::new(Notify::new());
        let refresher = Refresher {
            http,
            uri: Arc::clone(&uri),
            keys: keys.downgrade(),
            signal: Arc::clone(&signal),
            fetches: Arc::clone(&fetches),
        };
        let task = tokio::spawn(refresher.run(policy.clone(), policy.refresh_after(max_age)));
        let keys = keys.with_unknown_key_hook(Arc::new(RefreshSignal {
            signal,
            task: task.abort_handle(),
        }));
        Ok(RemoteJwks { keys, uri, fetches })
    }

    /// The keys, to build a [`Verifier`](crate::Verifier) with; they follow
    /// every refresh.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// Where the keys come from.
    pub fn uri(&self) -> &str {
        self.uri.as_str()
    }

    /// How many times the JWK Set was requested, the first fetch and failed
    /// attempts included: for metrics, and for tests of the rate limit.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }
}

impl fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteJwks")
            .field("uri", &self.uri.as_str())
            .field("keys", &self.keys)
            .field("fetches", &self.fetch_count())
            .finish()
    }
}

/// What the key set tells of unknown keys: it wakes the refresher, and stops
/// it when the last handle to the set is dropped.
struct RefreshSignal {
    signal: Arc<Notify>,
    task: AbortHandle,
}

impl UnknownKeyHook for RefreshSignal {
    fn unknown_key(&self) {
        // Stores at most one wake-up: a flood of unknown keys is one signal.
        self.signal.notify_one();
    }
}

impl Drop for RefreshSignal {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The background task that keeps one remote set current.
struct Refresher {
    http: reqwest::Client,
    uri: Arc<Url>,
    keys: WeakKeySet,
    signal: Arc<Notify>,
    fetches: Arc<AtomicU64>,
}

impl Refresher {
    /// Fetches when `due` has passed since the last fetch, or when signalled,
    /// but never sooner than the policy's interval after the last fetch:
    /// signals that arrive meanwhile wait for its end, as one.
    async fn run(self, policy: RefreshPolicy, mut due: Duration) {
        loop {
            tokio::time::sleep(policy.min_interval).await;
            tokio::select! {
                () = self.signal.notified() => {}
                () = tokio::time::sleep(due.saturating_sub(policy.min_interval)) => {}
            }
            due = match fetch_keys(&self.http, &self.uri, &self.fetches).await {
                Ok((keys, max_age)) => {
                    if !self.keys.replace_verifying(keys) {
                        return;
                    }
                    policy.refresh_after(max_age)
                }
                Err(error) => {
                    tracing::warn!(%error, "keeping the previous remote keys");
                    policy.retry_after()
                }
            };
        }
    }
}

/// One fetch of the JWK Set, counted, with the lifetime granted to it.
async fn fetch_keys(
    http: &reqwest::Client,
    uri: &Url,
    fetches: &AtomicU64,
) -> Result<(Vec<VerifyingKey>, Option<Duration>), RemoteKeysError> {
    fetches.fetch_add(1, Ordering::Relaxed);
    let (set, max_age): (JwkSet, _) = get_json(http, uri).await?;
    // Unusable keys are skipped; a set with no usable key at all is an error,
    // so a broken publication never empties our keys.
    let keys = KeySet::from_jwks(&set)
        .map_err(|error| RemoteKeysError::caused(uri.as_str(), "no usable key in the set", error))?
        .verifying_keys();
    Ok((keys, max_age))
}
