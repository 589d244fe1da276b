//! The sync task of [`PostgresStore`]: a `LISTEN` connection taken from the
//! store's pool, probed with `SELECT 1` between notifications.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgListener, PgNotification};
use tokio::time::MissedTickBehavior;

use super::PostgresStore;
use super::errors::{Db, store_error};
use crate::store::StoreError;
use crate::revocation::RevocationList;
use crate::store::sync_task::{Backoff, PROBE_INTERVAL, load};
use crate::store::{ApiKeyIndex, StateSync, SyncHandle};

/// How long connecting, subscribing or a probe may take before the
/// connection counts as lost.
const LISTENER_TIMEOUT: Duration = Duration::from_secs(2);

impl StateSync for PostgresStore {
    fn spawn_sync(&self, revocations: RevocationList, api_keys: ApiKeyIndex) -> SyncHandle {
        revocations.track_sync();
        let store = self.clone();
        let views = revocations.clone();
        let task = tokio::spawn(async move {
            let mut backoff = Backoff::new();
            loop {
                let Err(error) = listening(&store, &views, &api_keys, &mut backoff).await;
                tracing::warn!(%error, "revocation sync with PostgreSQL interrupted; reconnecting");
                tokio::time::sleep(backoff.next()).await;
            }
        });
        SyncHandle::new(task, revocations)
    }
}

/// One `LISTEN` connection: listen, load, then follow the notifications
/// until the connection fails.
async fn listening(
    store: &PostgresStore,
    revocations: &RevocationList,
    api_keys: &ApiKeyIndex,
    backoff: &mut Backoff,
) -> Result<Infallible, StoreError> {
    let mut listener = bounded(PgListener::connect_with(&store.pool)).await?;
    bounded(listener.listen(PostgresStore::REVOCATION_CHANNEL)).await?;
    // Only now: whatever is notified from here on waits in the listener.
    load(store, revocations, api_keys).await?;
    backoff.reset();

    let mut probes = tokio::time::interval(PROBE_INTERVAL);
    probes.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        // `try_recv` is cancel-safe: a notification half read when a probe
        // is due stays buffered in the connection.
        tokio::select! {
            notice = listener.try_recv() => match notice.db()? {
                Some(notice) => apply(store, &notice, revocations, api_keys),
                // The listener would reconnect by itself, but notifications
                // sent meanwhile are lost: start over, and load again.
                None => {
                    return Err(StoreError::Unavailable(
                        "PostgreSQL: the LISTEN connection was lost".to_owned(),
                    ));
                }
            },
            _ = probes.tick() => {
                // Notifications committed before the server ran this query
                // are delivered ahead of its answer on this connection.
                let sent = Instant::now();
                bounded(sqlx::query("SELECT 1").execute(&mut listener)).await?;
                revocations.mark_synced(sent);
            }
        }
    }
}

fn apply(
    store: &PostgresStore,
    notice: &PgNotification,
    revocations: &RevocationList,
    api_keys: &ApiKeyIndex,
) {
    let received = Instant::now();
    // Another schema's notices, or another program's, are skipped; payloads
    // are not logged: they may hold anything.
    if let Some(event) = store.decode_event(notice.payload()) {
        event.apply(revocations, api_keys);
    }
    revocations.mark_synced(received);
}

/// `operation` within [`LISTENER_TIMEOUT`], its error mapped.
async fn bounded<T>(operation: impl Future<Output = Result<T, sqlx::Error>>) -> Result<T, StoreError> {
    match tokio::time::timeout(LISTENER_TIMEOUT, operation).await {
        Ok(result) => result.map_err(|error| store_error(&error)),
        Err(_) => Err(StoreError::Unavailable(
            "PostgreSQL: the LISTEN connection did not answer in time".to_owned(),
        )),
    }
}
