//! How [`PostgresStore`] announces its writes: a `LISTEN` connection taken
//! from the store's pool, probed with `SELECT 1` between notifications. The
//! loop that follows it is the one of every shared store (`store::sync`).

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::PgListener;

use super::PostgresStore;
use super::errors::store_error;
use crate::revocation::RevocationList;
use crate::store::sync::{Announcements, Subscription, attach_shared, sync_handle};
use crate::store::{ApiKeyIndex, Attach, Attached, StateSync, StoreError, StoreEvent, SyncHandle};

/// How long connecting, subscribing or a probe may take before the
/// connection counts as lost.
const LISTENER_TIMEOUT: Duration = Duration::from_secs(2);

/// How often an attached instance purges expired rows.
const CLEANUP_INTERVAL: Duration = Duration::from_secs(60);

#[async_trait]
impl Announcements for PostgresStore {
    type Subscription = Listener;
    const NAME: &'static str = "PostgreSQL";

    async fn subscribe(&self) -> Result<Listener, StoreError> {
        let mut listener = bounded(PgListener::connect_with(&self.pool)).await?;
        bounded(listener.listen(PostgresStore::REVOCATION_CHANNEL)).await?;
        Ok(Listener {
            listener,
            store: self.clone(),
        })
    }
}

/// The `LISTEN` connection.
pub(crate) struct Listener {
    listener: PgListener,
    store: PostgresStore,
}

#[async_trait]
impl Subscription for Listener {
    async fn next_event(&mut self) -> Result<Option<StoreEvent>, StoreError> {
        // `try_recv` is cancel-safe: a notification half read when a probe is
        // due stays buffered in the connection.
        match self.listener.try_recv().await {
            // Another schema's notices, or another program's, are skipped.
            Ok(Some(notice)) => Ok(self.store.decode_event(notice.payload())),
            // The listener would reconnect by itself, but notifications sent
            // meanwhile are lost: start over, and load again.
            Ok(None) => Err(StoreError::Unavailable(
                "PostgreSQL: the LISTEN connection was lost".to_owned(),
            )),
            Err(error) => Err(store_error(&error)),
        }
    }

    async fn probe(&mut self) -> Result<(), StoreError> {
        bounded(sqlx::query("SELECT 1").execute(&mut self.listener)).await?;
        Ok(())
    }
}

impl StateSync for PostgresStore {
    fn spawn_sync(&self, revocations: RevocationList, api_keys: ApiKeyIndex) -> SyncHandle {
        sync_handle(self, revocations, api_keys)
    }
}

impl Attach for PostgresStore {
    /// The sync of the local views, and a purge of expired rows every
    /// minute (several instances may purge at once: their batches skip each
    /// other's rows).
    fn attach(&self) -> Attached {
        attach_shared(self, vec![self.spawn_cleanup(CLEANUP_INTERVAL)])
    }
}

/// `operation` within [`LISTENER_TIMEOUT`], its error mapped.
async fn bounded<T>(
    operation: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(LISTENER_TIMEOUT, operation).await {
        Ok(result) => result.map_err(|error| store_error(&error)),
        Err(_) => Err(StoreError::Unavailable(
            "PostgreSQL: the LISTEN connection did not answer in time".to_owned(),
        )),
    }
}
