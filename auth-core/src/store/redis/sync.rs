//! The sync task of [`RedisStore`]: a pub/sub connection of its own on
//! `{prefix}revocations`, probed with `PING` between messages.

use std::convert::Infallible;
use std::pin::Pin;
use std::time::Instant;

use futures_core::Stream;
use redis::Msg;
use redis::aio::PubSubStream;
use tokio::time::MissedTickBehavior;

use super::{RedisStore, within};
use crate::store::StoreError;
use crate::revocation::RevocationList;
use crate::store::sync_task::{Backoff, PROBE_INTERVAL, load};
use crate::store::{ApiKeyIndex, StateSync, SyncHandle};

impl StateSync for RedisStore {
    fn spawn_sync(&self, revocations: RevocationList, api_keys: ApiKeyIndex) -> SyncHandle {
        revocations.track_sync();
        let store = self.clone();
        let views = revocations.clone();
        let task = tokio::spawn(async move {
            let mut backoff = Backoff::new();
            loop {
                let Err(error) = subscribed(&store, &views, &api_keys, &mut backoff).await;
                tracing::warn!(%error, "revocation sync with Redis interrupted; reconnecting");
                tokio::time::sleep(backoff.next()).await;
            }
        });
        SyncHandle::new(task, revocations)
    }
}

/// One subscription: subscribe, load, then follow the channel until the
/// connection fails.
async fn subscribed(
    store: &RedisStore,
    revocations: &RevocationList,
    api_keys: &ApiKeyIndex,
    backoff: &mut Backoff,
) -> Result<Infallible, StoreError> {
    let pubsub = within(store.timeout, store.client.get_async_pubsub()).await?;
    let (mut sink, mut messages) = pubsub.split();
    within(store.timeout, sink.subscribe(store.revocation_channel())).await?;
    // Only now: whatever is published from here on waits in `messages`.
    load(store, revocations, api_keys).await?;
    backoff.reset();

    let mut probes = tokio::time::interval(PROBE_INTERVAL);
    probes.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = next_message(&mut messages) => {
                let Some(message) = message else {
                    return Err(StoreError::Unavailable(
                        "Redis: the subscription connection closed".to_owned(),
                    ));
                };
                apply(&message, revocations, api_keys);
            }
            _ = probes.tick() => {
                // Everything published before Redis ran this PING has been
                // delivered ahead of its answer on this connection.
                let sent = Instant::now();
                // Subscribed, Redis answers `["pong", ""]`, not `PONG`.
                let _: redis::Value = within(store.timeout, sink.ping()).await?;
                revocations.mark_synced(sent);
            }
        }
    }
}

fn apply(message: &Msg, revocations: &RevocationList, api_keys: &ApiKeyIndex) {
    let received = Instant::now();
    match RedisStore::decode_event(message.get_payload_bytes()) {
        Ok(event) => event.apply(revocations, api_keys),
        // Another program publishing on the channel: not ours to apply. The
        // payload is not logged: it may hold anything.
        Err(_) => tracing::debug!("skipped a message on the revocation channel that is not ours"),
    }
    revocations.mark_synced(received);
}

/// The next message of the subscription; `None` once its connection is gone.
async fn next_message(messages: &mut PubSubStream) -> Option<Msg> {
    std::future::poll_fn(|cx| Pin::new(&mut *messages).poll_next(cx)).await
}
