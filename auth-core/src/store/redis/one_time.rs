//! Single-use marks, `once:{key}`, and kept codes, `code:{key}` (the code's
//! hash and its expiry), each expiring when it stops mattering.

use async_trait::async_trait;
use redis::Value;

use super::decode::{self, malformed};
use super::{RedisStore, expiry};
use crate::store::StoreError;
use crate::store::{OneTimeStore, SecretHash};

#[async_trait]
impl OneTimeStore for RedisStore {
    /// One `SET NX EXAT`: the first caller creates the mark, the others find
    /// it. A mark holds through `expires_at`, so the key goes the second
    /// after; one already over is set and gone at once, as it should be.
    async fn use_once(&self, key: &str, expires_at: i64) -> Result<bool, StoreError> {
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                redis::cmd("SET")
                    .arg(self.key("once", key))
                    .arg(1)
                    .arg("NX")
                    .arg("EXAT")
                    .arg(expiry(expires_at.saturating_add(1)))
                    .query_async(&mut connection),
            )
            .await?;
        match reply {
            Value::Okay => Ok(true),
            Value::SimpleString(text) if text == "OK" => Ok(true),
            Value::Nil => Ok(false),
            _ => Err(malformed("reply to SET NX")),
        }
    }

    /// One `EXISTS`: a mark lives in Redis exactly as long as it holds (its
    /// key expires the second after `expires_at`), so `now` adds nothing.
    async fn is_used(&self, key: &str, _now: i64) -> Result<bool, StoreError> {
        let mut connection = self.connection();
        let exists: i64 = self
            .run(
                redis::cmd("EXISTS")
                    .arg(self.key("once", key))
                    .query_async(&mut connection),
            )
            .await?;
        Ok(exists == 1)
    }

    /// One `SET EXAT`, replacing any code kept under `key`.
    async fn put_code(
        &self,
        key: &str,
        code: &SecretHash,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let mut connection = self.connection();
        let _: Value = self
            .run(
                redis::cmd("SET")
                    .arg(self.key("code", key))
                    .arg(format!("{} {expires_at}", code.to_hex()))
                    .arg("EXAT")
                    .arg(expiry(expires_at))
                    .query_async(&mut connection),
            )
            .await?;
        Ok(())
    }

    async fn consume_code(
        &self,
        key: &str,
        code: &SecretHash,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut connection = self.connection();
        let reply = self
            .run(
                self.scripts
                    .consume_code
                    .key(self.key("code", key))
                    .arg(code.to_hex())
                    .arg(now)
                    .invoke_async(&mut connection),
            )
            .await?;
        decode::flag(reply, "reply to consume_code")
    }
}
