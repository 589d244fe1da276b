//! API keys: `apikey:{hash}` (hash: id, owner, name, creation) and
//! `apikey_id:{id}` (the hash, for deletion). Keys last until deleted, so
//! neither expires.

use async_trait::async_trait;
use redis::Value;

use super::RedisStore;
use super::decode::{self, Fields};
use crate::Error;
use crate::store::{ApiKey, ApiKeyStore, SecretHash};

const API_KEY: &str = "API key record";

#[async_trait]
impl ApiKeyStore for RedisStore {
    async fn create_api_key(&self, key: &ApiKey) -> Result<(), Error> {
        let hex = key.hash.to_hex();
        let mut connection = self.connection();
        let mut invocation = self.scripts.create_api_key.key(self.key("apikey", &hex));
        invocation
            .key(self.key("apikey_id", &key.id))
            .arg(&*self.prefix)
            .arg(&hex)
            .arg(&key.id)
            .arg(&key.user_id)
            .arg(&key.name)
            .arg(key.created_at);
        let _: Value = self.run(invocation.invoke_async(&mut connection)).await?;
        Ok(())
    }

    /// One `HMGET` by hash: the key is a SHA-256 of a high-entropy secret, so
    /// the lookup's timing tells nothing usable about a stored key.
    async fn api_key_by_hash(&self, hash: &SecretHash) -> Result<Option<ApiKey>, Error> {
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                redis::cmd("HMGET")
                    .arg(self.key("apikey", &hash.to_hex()))
                    .arg("id")
                    .arg("user")
                    .arg("name")
                    .arg("created")
                    .query_async(&mut connection),
            )
            .await?;
        let mut fields = Fields::array(reply, API_KEY)?;
        let Some(id) = fields.optional_string()? else {
            return Ok(None);
        };
        Ok(Some(ApiKey {
            id,
            user_id: fields.string()?,
            name: fields.string()?,
            hash: *hash,
            created_at: fields.int()?,
        }))
    }

    async fn revoke_api_key(&self, user_id: &str, id: &str) -> Result<bool, Error> {
        let mut connection = self.connection();
        let reply = self
            .run(
                self.scripts
                    .revoke_api_key
                    .key(self.key("apikey_id", id))
                    .arg(&*self.prefix)
                    .arg(user_id)
                    .invoke_async(&mut connection),
            )
            .await?;
        decode::flag(reply, API_KEY)
    }
}
