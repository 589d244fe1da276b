//! API keys: `apikey:{hash}` (hash: id, owner, name, creation),
//! `apikey_id:{id}` (the hash, for deletion), `apikeys` (the set of ids,
//! for listing) and `apikeys_user:{user id}` (the owner's ids, for the limit). Keys last until deleted, so none of these expires. Each
//! creation and deletion is also announced on `{prefix}revocations`.

use async_trait::async_trait;
use redis::Value;

use super::RedisStore;
use super::decode::{self, Fields};
use crate::store::StoreError;
use crate::store::{ApiKey, ApiKeyStore, SecretHash};

const API_KEY: &str = "API key record";

#[async_trait]
impl ApiKeyStore for RedisStore {
    async fn create_api_key(&self, key: &ApiKey, max_per_user: usize) -> Result<(), StoreError> {
        let hex = key.hash.to_hex();
        let mut connection = self.connection();
        let mut invocation = self.scripts.create_api_key.key(self.key("apikey", &hex));
        invocation
            .key(self.key("apikey_id", &key.id))
            .key(self.api_key_ids())
            .key(self.key("apikeys_user", &key.user_id))
            .arg(&*self.prefix)
            .arg(&hex)
            .arg(&key.id)
            .arg(&key.user_id)
            .arg(&key.name)
            .arg(key.created_at)
            .arg(self.revocation_channel())
            .arg(max_per_user);
        let reply = self.run(invocation.invoke_async(&mut connection)).await?;
        if decode::flag(reply, API_KEY)? {
            Ok(())
        } else {
            Err(StoreError::TooManyApiKeys { max: max_per_user })
        }
    }

    /// One `HMGET` by hash: the key is a SHA-256 of a high-entropy secret, so
    /// the lookup's timing tells nothing usable about a stored key.
    async fn api_key_by_hash(&self, hash: &SecretHash) -> Result<Option<ApiKey>, StoreError> {
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

    async fn revoke_api_key(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        let mut connection = self.connection();
        let reply = self
            .run(
                self.scripts
                    .revoke_api_key
                    .key(self.key("apikey_id", id))
                    .key(self.api_key_ids())
                    .arg(&*self.prefix)
                    .arg(user_id)
                    .arg(id)
                    .arg(self.revocation_channel())
                    .invoke_async(&mut connection),
            )
            .await?;
        decode::flag(reply, API_KEY)
    }

    async fn all_api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                self.scripts
                    .all_api_keys
                    .key(self.api_key_ids())
                    .arg(&*self.prefix)
                    .invoke_async(&mut connection),
            )
            .await?;
        let mut records = Fields::array(reply, API_KEY)?;
        let mut keys = Vec::new();
        while !records.is_done() {
            let mut fields = Fields::array(records.value()?, API_KEY)?;
            keys.push(ApiKey {
                id: fields.string()?,
                user_id: fields.string()?,
                name: fields.string()?,
                hash: decode::secret_hash(&fields.string()?, API_KEY)?,
                created_at: fields.int()?,
            });
        }
        Ok(keys)
    }
}

impl RedisStore {
    /// The set of every key id, for [`ApiKeyStore::all_api_keys`].
    fn api_key_ids(&self) -> String {
        format!("{}apikeys", self.prefix)
    }
}
