//! Keeping an instance's local views (revocations, API keys) in step with a
//! shared store: what the store-specific sync tasks have in common.
//!
//! Each task runs the same cycle: subscribe to the store's announcements,
//! then load everything in force, then apply each announcement as it arrives,
//! probing the subscription between them. Subscribing before loading means
//! nothing announced during the load is lost: it waits in the subscription
//! and is applied after the load, and applying an announcement twice does no
//! harm (revocations merge, key creations and deletions are idempotent). On
//! any failure the cycle starts over after a bounded backoff (see
//! `sync_task`, built with a shared store).

use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::{ApiKey, ApiKeyIndex, Revocation, SecretHash};
use crate::revocation::{RevocationList, RevocationView};

/// One announcement of a shared store to every instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreEvent {
    /// A revocation, as stored (merged with earlier ones of its subject).
    Revoked(Revocation),
    /// A new API key.
    ApiKeyCreated(ApiKey),
    /// An API key was deleted.
    ApiKeyRevoked {
        /// Its public id.
        id: String,
        /// Its hash, the key of the local index.
        hash: SecretHash,
    },
}

impl StoreEvent {
    /// Applies the announcement to an instance's local views.
    pub fn apply(self, revocations: &RevocationList, api_keys: &ApiKeyIndex) {
        match self {
            StoreEvent::Revoked(revocation) => revocations.apply(&revocation),
            StoreEvent::ApiKeyCreated(key) => api_keys.insert(key),
            StoreEvent::ApiKeyRevoked { hash, .. } => {
                api_keys.remove(&hash);
            }
        }
    }
}

/// A shared store that can keep an instance's local views in step with it.
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

/// The running sync task of [`StateSync::spawn_sync`]; dropping it stops the task.
#[derive(Debug)]
pub struct SyncHandle {
    task: JoinHandle<()>,
    revocations: RevocationList,
}

impl SyncHandle {
    #[cfg(any(feature = "redis", feature = "postgres"))]
    pub(crate) fn new(task: JoinHandle<()>, revocations: RevocationList) -> Self {
        Self { task, revocations }
    }

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
        drop(self);
    }
}

impl Drop for SyncHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_apply_to_the_local_views() {
        let revocations = RevocationList::new();
        let api_keys = ApiKeyIndex::new();
        let key = ApiKey {
            id: "k".into(),
            user_id: "u".into(),
            name: "n".into(),
            hash: SecretHash::of("test", b"secret"),
            created_at: 1,
        };
        StoreEvent::ApiKeyCreated(key.clone()).apply(&revocations, &api_keys);
        assert_eq!(
            crate::store::ApiKeyView::api_key(&api_keys, &key.hash),
            Some(key.clone())
        );
        StoreEvent::ApiKeyRevoked {
            id: key.id.clone(),
            hash: key.hash,
        }
        .apply(&revocations, &api_keys);
        assert!(api_keys.is_empty());
        StoreEvent::Revoked(Revocation::Session {
            sid: "s".into(),
            until: crate::time::now() + 60,
        })
        .apply(&revocations, &api_keys);
        assert_eq!(revocations.len(), 1);
    }
}
