//! The store `AUTH_DEMO_STORE` names, connected and attached: with Redis or
//! PostgreSQL the library's [`Attached`] keeps this instance's revocation
//! view and API-key index in step with every other instance (and purges
//! expired PostgreSQL rows), and start-up waits until the views are loaded,
//! so an instance never serves with a view that misses revocations made
//! before it started.

use std::time::Duration;

use auth_core::flow::AuthenticatorBuilder;
use auth_core::store::{Attach, Attached, PostgresStore, RedisStore};
use auth_core::{Authenticator, MemoryStore, TokenIssuer};

use super::Error;
use super::config::{self, StoreConfig};

/// How long connecting to the store (and bringing its tables up to date) may
/// take before start-up gives up: the stores' own timeouts are shorter, this
/// bounds what they do not (a migration waiting on another instance's lock).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// How long the first load of revocations and API keys may take before
/// start-up gives up.
const FIRST_SYNC_TIMEOUT: Duration = Duration::from_secs(10);

/// A connected store.
pub(crate) enum Backend {
    Memory(MemoryStore),
    Redis(RedisStore),
    Postgres(PostgresStore),
}

/// Connects to the store of `config`, attaches this instance to it and waits
/// until its views are loaded. Every failure names `AUTH_DEMO_STORE` and
/// never repeats the URL.
pub(crate) async fn connect(config: &StoreConfig) -> Result<(Backend, Attached), Error> {
    let backend = match config {
        StoreConfig::Memory => Backend::Memory(MemoryStore::new()),
        StoreConfig::Redis(url) => {
            Backend::Redis(bounded(RedisStore::connect(url.expose())).await?)
        }
        StoreConfig::Postgres(url) => {
            Backend::Postgres(bounded(PostgresStore::connect(url.expose())).await?)
        }
    };
    let attached = match &backend {
        Backend::Memory(store) => store.attach(),
        Backend::Redis(store) => store.attach(),
        Backend::Postgres(store) => store.attach(),
    };
    attached
        .ready(FIRST_SYNC_TIMEOUT)
        .await
        .map_err(|source| Error::Setup {
            variable: config::STORE,
            source: source.into(),
        })?;
    Ok((backend, attached))
}

/// `connecting`, bounded by [`CONNECT_TIMEOUT`], its failure naming the variable.
async fn bounded<T, E>(connecting: impl Future<Output = Result<T, E>>) -> Result<T, Error>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(Ok(store)) => Ok(store),
        Ok(Err(source)) => Err(Error::Setup {
            variable: config::STORE,
            source: Box::new(source),
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

impl Backend {
    /// `memory`, `redis` or `postgres`, for the start-up log.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Backend::Memory(_) => "memory",
            Backend::Redis(_) => "redis",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// An authenticator builder over this store.
    pub(crate) fn authenticator(&self, issuer: TokenIssuer) -> AuthenticatorBuilder {
        match self {
            Backend::Memory(store) => Authenticator::builder(issuer, store.clone()),
            Backend::Redis(store) => Authenticator::builder(issuer, store.clone()),
            Backend::Postgres(store) => Authenticator::builder(issuer, store.clone()),
        }
    }
}
