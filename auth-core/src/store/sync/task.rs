//! The one sync loop of every shared store: subscribe, load, follow.
//!
//! Each cycle subscribes to the store's announcements, then loads everything
//! in force, then applies each announcement as it arrives, probing the
//! subscription between them. Subscribing before loading means nothing
//! announced during the load is lost: it waits in the subscription and is
//! applied after the load, and applying an announcement twice does no harm
//! (revocations merge, key creations and deletions are idempotent). On any
//! failure the cycle starts over after a bounded backoff. A store takes part
//! by implementing [`Announcements`].

use std::convert::Infallible;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use super::{ApiKeyIndex, StoreEvent};
use crate::revocation::RevocationList;
use crate::store::{ApiKeyStore, RevocationStore, StoreError};

/// How often a healthy subscription is probed, advancing the views'
/// [`last_synced`](crate::RevocationList::last_synced).
pub(crate) const PROBE_INTERVAL: Duration = Duration::from_millis(500);

/// A shared store that announces its writes to every instance.
#[async_trait]
pub(crate) trait Announcements: RevocationStore + ApiKeyStore + Clone {
    /// An open subscription to the announcements.
    type Subscription: Subscription;
    /// What the store is called in logs.
    const NAME: &'static str;

    /// Subscribes; from the moment this returns, every announcement made
    /// waits in the subscription.
    async fn subscribe(&self) -> Result<Self::Subscription, StoreError>;
}

/// An open subscription to a store's announcements.
#[async_trait]
pub(crate) trait Subscription: Send {
    /// The next message: `Some` an announcement of ours, `None` a message
    /// that is not ours (skipped); an error once the subscription is lost.
    /// Must be cancel-safe: a probe may interrupt it.
    async fn next_event(&mut self) -> Result<Option<StoreEvent>, StoreError>;

    /// A round trip on the subscription's own connection: every announcement
    /// made before the store answered it has been delivered ahead of the
    /// answer.
    async fn probe(&mut self) -> Result<(), StoreError>;
}

/// Feeds `revocations` and `api_keys` from `store` until the task is
/// aborted; `loaded` turns true after the first complete load.
pub(crate) async fn run<S: Announcements>(
    store: S,
    revocations: RevocationList,
    api_keys: ApiKeyIndex,
    loaded: watch::Sender<bool>,
) {
    let mut backoff = Backoff::new();
    loop {
        let Err(error) = follow(&store, &revocations, &api_keys, &loaded, &mut backoff).await;
        tracing::warn!(%error, store = S::NAME, "sync of the local views interrupted; reconnecting");
        tokio::time::sleep(backoff.next()).await;
    }
}

/// One subscription: subscribe, load, then follow it until it fails.
async fn follow<S: Announcements>(
    store: &S,
    revocations: &RevocationList,
    api_keys: &ApiKeyIndex,
    loaded: &watch::Sender<bool>,
    backoff: &mut Backoff,
) -> Result<Infallible, StoreError> {
    let mut subscription = store.subscribe().await?;
    // Only now: whatever is announced from here on waits in the subscription.
    load(store, revocations, api_keys).await?;
    loaded.send_replace(true);
    backoff.reset();

    let mut probes = tokio::time::interval(PROBE_INTERVAL);
    probes.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            event = subscription.next_event() => {
                let received = Instant::now();
                match event? {
                    Some(event) => event.apply(revocations, api_keys),
                    // Another program's message on the channel: not ours to
                    // apply. Its payload is not logged: it may hold anything.
                    None => tracing::debug!(store = S::NAME, "skipped an announcement that is not ours"),
                }
                revocations.mark_synced(received);
            }
            _ = probes.tick() => {
                let sent = Instant::now();
                subscription.probe().await?;
                revocations.mark_synced(sent);
            }
        }
    }
}

/// Loads every revocation in force and every API key into the local views,
/// then marks them complete as of the moment the load started.
async fn load<S>(
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

/// The pause before a new attempt after a failure: doubling from 100 ms up
/// to 2 s, back to the start after a successful load.
struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(2);

    fn new() -> Self {
        Self { next: Self::FIRST }
    }

    /// The pause to take now; the next one is twice as long, up to the maximum.
    fn next(&mut self) -> Duration {
        let pause = self.next;
        self.next = (pause * 2).min(Self::MAX);
        pause
    }

    fn reset(&mut self) {
        self.next = Self::FIRST;
    }
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
