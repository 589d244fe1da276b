//! How [`RedisStore`] announces its writes: a pub/sub connection of its own
//! on `{prefix}revocations`, probed with `PING` between messages. The loop
//! that follows it is the one of every shared store (`store::sync`).

use std::pin::Pin;

use async_trait::async_trait;
use futures_core::Stream;
use redis::aio::{PubSubSink, PubSubStream};

use super::{RedisStore, within};
use crate::revocation::RevocationList;
use crate::store::sync::{Announcements, Subscription, attach_shared, sync_handle};
use crate::store::{ApiKeyIndex, Attach, Attached, StateSync, StoreError, StoreEvent, SyncHandle};

#[async_trait]
impl Announcements for RedisStore {
    type Subscription = PubSub;
    const NAME: &'static str = "Redis";

    async fn subscribe(&self) -> Result<PubSub, StoreError> {
        let pubsub = within(self.timeout, self.client.get_async_pubsub()).await?;
        let (mut sink, messages) = pubsub.split();
        within(self.timeout, sink.subscribe(self.revocation_channel())).await?;
        Ok(PubSub {
            sink,
            messages,
            timeout: self.timeout,
        })
    }
}

/// The subscription connection, split into its two halves.
pub(crate) struct PubSub {
    sink: PubSubSink,
    messages: PubSubStream,
    timeout: std::time::Duration,
}

#[async_trait]
impl Subscription for PubSub {
    async fn next_event(&mut self) -> Result<Option<StoreEvent>, StoreError> {
        // Polling the stream is cancel-safe: a message not yet taken stays in it.
        let message = std::future::poll_fn(|cx| Pin::new(&mut self.messages).poll_next(cx)).await;
        let Some(message) = message else {
            return Err(StoreError::Unavailable(
                "Redis: the subscription connection closed".to_owned(),
            ));
        };
        Ok(RedisStore::decode_event(message.get_payload_bytes()).ok())
    }

    async fn probe(&mut self) -> Result<(), StoreError> {
        // Subscribed, Redis answers `["pong", ""]`, not `PONG`.
        let _: redis::Value = within(self.timeout, self.sink.ping()).await?;
        Ok(())
    }
}

impl StateSync for RedisStore {
    fn spawn_sync(&self, revocations: RevocationList, api_keys: ApiKeyIndex) -> SyncHandle {
        sync_handle(self, revocations, api_keys)
    }
}

impl Attach for RedisStore {
    /// The sync of the local views. Every key expires by itself: no purge.
    fn attach(&self) -> Attached {
        attach_shared(self, Vec::new())
    }
}
