//! Fixed windows of failed attempts: `throttle:{key}` (hash: count, end),
//! expiring when the window ends.

use async_trait::async_trait;
use redis::Value;

use super::decode::Fields;
use super::{RedisStore, expiry};
use crate::store::StoreError;
use crate::store::{Attempt, Failures, ThrottleStore};

const WINDOW: &str = "throttling window";

/// A count as the trait reports it (counts beyond `u32` stay at the maximum).
fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

#[async_trait]
impl ThrottleStore for RedisStore {
    async fn failures(&self, key: &str, now: i64) -> Result<Failures, StoreError> {
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                redis::cmd("HMGET")
                    .arg(self.key("throttle", key))
                    .arg("count")
                    .arg("ends")
                    .query_async(&mut connection),
            )
            .await?;
        let mut fields = Fields::array(reply, WINDOW)?;
        let (counted, ends) = (fields.optional_int()?, fields.optional_int()?);
        Ok(match (counted, ends) {
            (Some(counted), Some(window_ends)) if now < window_ends => Failures {
                count: count(counted),
                window_ends,
            },
            _ => Failures {
                count: 0,
                window_ends: now,
            },
        })
    }

    async fn record_failure(
        &self,
        key: &str,
        now: i64,
        window_secs: i64,
    ) -> Result<Failures, StoreError> {
        // A window of at least one second, so a failure always counts.
        let window_ends = now.saturating_add(window_secs.max(1));
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                self.scripts
                    .record_failure
                    .key(self.key("throttle", key))
                    .arg(now)
                    .arg(window_ends)
                    .arg(expiry(window_ends))
                    .invoke_async(&mut connection),
            )
            .await?;
        let mut fields = Fields::array(reply, WINDOW)?;
        Ok(Failures {
            count: count(fields.int()?),
            window_ends: fields.int()?,
        })
    }

    async fn reserve_attempt(
        &self,
        key: &str,
        now: i64,
        window_secs: i64,
        limit: u32,
    ) -> Result<Attempt, StoreError> {
        let window_ends = now.saturating_add(window_secs.max(1));
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                self.scripts
                    .reserve_attempt
                    .key(self.key("throttle", key))
                    .arg(now)
                    .arg(window_ends)
                    .arg(expiry(window_ends))
                    .arg(limit)
                    .invoke_async(&mut connection),
            )
            .await?;
        let mut fields = Fields::array(reply, WINDOW)?;
        let reserved = fields.int()? == 1;
        let failures = Failures {
            count: count(fields.int()?),
            window_ends: fields.int()?,
        };
        Ok(if reserved {
            Attempt::Reserved(failures)
        } else {
            Attempt::Refused(failures)
        })
    }

    async fn release_attempt(&self, key: &str, now: i64) -> Result<(), StoreError> {
        let mut connection = self.connection();
        let _: Value = self
            .run(
                self.scripts
                    .release_attempt
                    .key(self.key("throttle", key))
                    .arg(now)
                    .invoke_async(&mut connection),
            )
            .await?;
        Ok(())
    }

    async fn clear_failures(&self, key: &str) -> Result<(), StoreError> {
        let mut connection = self.connection();
        let _: Value = self
            .run(
                redis::cmd("DEL")
                    .arg(self.key("throttle", key))
                    .query_async(&mut connection),
            )
            .await?;
        Ok(())
    }
}
