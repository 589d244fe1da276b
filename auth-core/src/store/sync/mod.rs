//! Keeping each app instance's local views (the revocation view and the
//! API-key index) in step with a shared store, and the background work a
//! store needs beside an instance, behind one handle ([`Attach`]).
//!
//! The request path never waits on the network: it reads local views. A
//! shared store announces every revocation and API-key change to every
//! instance (Redis pub/sub, PostgreSQL `LISTEN/NOTIFY`), and one loop, the
//! same for every store, feeds the views from those announcements.

mod api_key_index;
mod attach;
mod event;
#[cfg(any(feature = "redis", feature = "postgres"))]
mod task;

use std::time::{Duration, Instant};

pub use api_key_index::ApiKeyIndex;
pub use attach::{ApiKeyLookup, Attach, Attached, BackgroundTask};
pub use event::StoreEvent;
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) use task::{Announcements, Subscription};

use crate::revocation::{RevocationList, RevocationView};

/// A shared store that can keep an instance's local views in step with it;
/// [`Attach::attach`] is the one call an app needs, this is the part it uses.
pub trait StateSync {
    /// Starts the task that feeds `revocations` and `api_keys` from the store:
    /// it subscribes to the store's announcements, loads every revocation in
    /// force and every API key, then applies each announcement as it
    /// arrives (within milliseconds of the write, on every instance). Lost
    /// connections are re-established with a bounded backoff, and each
    /// reconnection loads everything again, so nothing announced meanwhile
    /// is missed. The task never panics and runs until the handle is dropped.
    ///
    /// `revocations` becomes a tracked list ([`RevocationList::track_sync`]):
    /// not complete until the first load, then as of the last sign of life
    /// of the subscription. Must be called within a Tokio runtime.
    fn spawn_sync(&self, revocations: RevocationList, api_keys: ApiKeyIndex) -> SyncHandle;
}

/// [`StateSync::spawn_sync`] for a store that announces its writes.
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) fn sync_handle<S: Announcements + 'static>(
    store: &S,
    revocations: RevocationList,
    api_keys: ApiKeyIndex,
) -> SyncHandle {
    let (loaded, _) = tokio::sync::watch::channel(false);
    SyncHandle {
        task: spawn_sync_task(store, &revocations, &api_keys, loaded),
        revocations,
    }
}

/// The sync task of `store` feeding these views; `loaded` turns true after
/// its first load.
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) fn spawn_sync_task<S: Announcements + 'static>(
    store: &S,
    revocations: &RevocationList,
    api_keys: &ApiKeyIndex,
    loaded: tokio::sync::watch::Sender<bool>,
) -> BackgroundTask {
    revocations.track_sync();
    BackgroundTask::spawn(task::run(
        store.clone(),
        revocations.clone(),
        api_keys.clone(),
        loaded,
    ))
}

/// Attaches a shared store: its sync task, plus `more` tasks of its own.
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) fn attach_shared<S: Announcements + 'static>(
    store: &S,
    more: Vec<BackgroundTask>,
) -> Attached {
    let revocations = RevocationList::new();
    let index = ApiKeyIndex::new();
    let (loaded, _) = tokio::sync::watch::channel(false);
    let mut tasks = vec![spawn_sync_task(store, &revocations, &index, loaded.clone())];
    tasks.extend(more);
    Attached::synced(revocations, index, loaded, tasks)
}

/// The running sync task of [`StateSync::spawn_sync`]; dropping it stops the task.
#[derive(Debug)]
pub struct SyncHandle {
    task: BackgroundTask,
    revocations: RevocationList,
}

impl SyncHandle {
    /// The last moment the local views were known complete: the end of a
    /// load, a received announcement, or the sending of a probe the store
    /// answered. `None` until the first load.
    pub fn last_synced(&self) -> Option<Instant> {
        self.revocations.last_synced()
    }

    /// Whether the views have not been known complete within `max_age`.
    pub fn is_stale(&self, max_age: Duration) -> bool {
        !self.revocations.is_complete_within(max_age)
    }

    /// Stops the task (as dropping the handle does).
    pub fn stop(self) {
        drop(self.task);
    }
}
