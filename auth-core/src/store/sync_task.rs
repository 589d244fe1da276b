//! What the sync tasks of the shared stores have in common: the probe
//! interval, the backoff between attempts, and the load that starts each
//! subscription.

use std::time::{Duration, Instant};

use super::{ApiKeyIndex, ApiKeyStore, RevocationStore};
use crate::store::StoreError;
use crate::revocation::RevocationList;

/// How often a healthy subscription is probed, advancing
/// [`SyncHandle::last_synced`](super::SyncHandle::last_synced).
pub(crate) const PROBE_INTERVAL: Duration = Duration::from_millis(500);

/// The pause before a new attempt after a failure: doubling from 100 ms up
/// to 2 s, back to the start after a successful load.
pub(crate) struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(2);

    pub(crate) fn new() -> Self {
        Self { next: Self::FIRST }
    }

    /// The pause to take now; the next one is twice as long, up to the maximum.
    pub(crate) fn next(&mut self) -> Duration {
        let pause = self.next;
        self.next = (pause * 2).min(Self::MAX);
        pause
    }

    pub(crate) fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

/// Loads every revocation in force and every API key into the local views,
/// then marks them complete as of the moment the load started.
pub(crate) async fn load<S>(
    store: &S,
    revocations: &RevocationList,
    api_keys: &ApiKeyIndex,
) -> Result<(), StoreError>
where
    S: RevocationStore + ApiKeyStore,
{
    let started = Instant::now();
    let active = store.active_revocations(crate::time::now()).await?;
    let keys = store.all_api_keys().await?;
    for revocation in &active {
        revocations.apply(revocation);
    }
    api_keys.replace_all(keys);
    revocations.mark_synced(started);
    tracing::debug!(
        revocations = active.len(),
        api_keys = api_keys.len(),
        "local views loaded from the store"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_maximum_and_resets() {
        let mut backoff = Backoff::new();
        let pauses: Vec<_> = (0..7).map(|_| backoff.next().as_millis()).collect();
        assert_eq!(pauses, [100, 200, 400, 800, 1600, 2000, 2000]);
        backoff.reset();
        assert_eq!(backoff.next(), Duration::from_millis(100));
    }
}
