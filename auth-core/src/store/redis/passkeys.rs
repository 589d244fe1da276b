//! Passkeys: `passkey:{id}` (owner, name, creation, last use, counter, the
//! serialised credential) and `passkeys_user:{user id}` (the owner's ids,
//! scored by creation, for the listing and the limit); they last until
//! deleted. Ceremonies: `ceremony:{key}` (its expiry and state), expiring
//! with it.

use async_trait::async_trait;
use redis::Value;

use super::decode::{self, Fields, malformed};
use super::{RedisStore, expiry};
use crate::store::StoreError;
use crate::store::{Passkey, PasskeyStore, PasskeyUse};

const PASSKEY: &str = "passkey record";
const CEREMONY: &str = "passkey ceremony";

#[async_trait]
impl PasskeyStore for RedisStore {
    async fn create_passkey(
        &self,
        passkey: &Passkey,
        max_per_user: usize,
    ) -> Result<(), StoreError> {
        let mut connection = self.connection();
        let mut invocation = self
            .scripts
            .create_passkey
            .key(self.key("passkey", &passkey.id));
        invocation
            .key(self.key("passkeys_user", &passkey.user_id))
            .arg(&passkey.id)
            .arg(&passkey.user_id)
            .arg(&passkey.name)
            .arg(passkey.created_at)
            .arg(passkey.counter)
            .arg(&passkey.credential)
            .arg(max_per_user);
        let reply = self.run(invocation.invoke_async(&mut connection)).await?;
        match decode::int(reply, PASSKEY)? {
            1 => Ok(()),
            0 => Err(StoreError::TooManyPasskeys { max: max_per_user }),
            -1 => Err(StoreError::PasskeyTaken),
            _ => Err(malformed(PASSKEY)),
        }
    }

    async fn passkey(&self, id: &str) -> Result<Option<Passkey>, StoreError> {
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                redis::cmd("HMGET")
                    .arg(self.key("passkey", id))
                    .arg("user")
                    .arg("name")
                    .arg("created")
                    .arg("last_used")
                    .arg("counter")
                    .arg("credential")
                    .query_async(&mut connection),
            )
            .await?;
        let mut fields = Fields::array(reply, PASSKEY)?;
        let Some(user_id) = fields.optional_string()? else {
            return Ok(None);
        };
        passkey_fields(id.to_owned(), user_id, &mut fields).map(Some)
    }

    async fn user_passkeys(&self, user_id: &str) -> Result<Vec<Passkey>, StoreError> {
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                self.scripts
                    .user_passkeys
                    .key(self.key("passkeys_user", user_id))
                    .arg(&*self.prefix)
                    .invoke_async(&mut connection),
            )
            .await?;
        let mut records = Fields::array(reply, PASSKEY)?;
        let mut passkeys = Vec::new();
        while !records.is_done() {
            let mut fields = Fields::array(records.value()?, PASSKEY)?;
            let id = fields.string()?;
            let user_id = fields.string()?;
            passkeys.push(passkey_fields(id, user_id, &mut fields)?);
        }
        Ok(passkeys)
    }

    async fn record_passkey_use(
        &self,
        id: &str,
        counter: u32,
        credential: &str,
        now: i64,
    ) -> Result<PasskeyUse, StoreError> {
        let mut connection = self.connection();
        let reply = self
            .run(
                self.scripts
                    .record_passkey_use
                    .key(self.key("passkey", id))
                    .arg(counter)
                    .arg(credential)
                    .arg(now)
                    .invoke_async(&mut connection),
            )
            .await?;
        match decode::int(reply, PASSKEY)? {
            1 => Ok(PasskeyUse::Recorded),
            0 => Ok(PasskeyUse::CounterRegressed),
            -1 => Ok(PasskeyUse::NotFound),
            _ => Err(malformed(PASSKEY)),
        }
    }

    async fn delete_passkey(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        let mut connection = self.connection();
        let reply = self
            .run(
                self.scripts
                    .delete_passkey
                    .key(self.key("passkey", id))
                    .key(self.key("passkeys_user", user_id))
                    .arg(user_id)
                    .arg(id)
                    .invoke_async(&mut connection),
            )
            .await?;
        decode::flag(reply, PASSKEY)
    }

    /// One `SET EXAT`, replacing a ceremony kept under `key`.
    async fn put_ceremony(
        &self,
        key: &str,
        state: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let mut connection = self.connection();
        let _: Value = self
            .run(
                redis::cmd("SET")
                    .arg(self.key("ceremony", key))
                    .arg(format!("{expires_at} {state}"))
                    .arg("EXAT")
                    .arg(expiry(expires_at))
                    .query_async(&mut connection),
            )
            .await?;
        Ok(())
    }

    /// One `GETDEL`: of concurrent takers, one gets the value.
    async fn take_ceremony(&self, key: &str, now: i64) -> Result<Option<String>, StoreError> {
        let mut connection = self.connection();
        let reply: Option<String> = self
            .run(
                redis::cmd("GETDEL")
                    .arg(self.key("ceremony", key))
                    .query_async(&mut connection),
            )
            .await?;
        let Some(kept) = reply else {
            return Ok(None);
        };
        let (expires_at, state) = kept.split_once(' ').ok_or_else(|| malformed(CEREMONY))?;
        let expires_at: i64 = expires_at.parse().map_err(|_| malformed(CEREMONY))?;
        Ok((now < expires_at).then(|| state.to_owned()))
    }
}

/// The rest of a passkey record after its id and owner:
/// `name, created, last_used, counter, credential`.
fn passkey_fields(id: String, user_id: String, fields: &mut Fields) -> Result<Passkey, StoreError> {
    Ok(Passkey {
        id,
        user_id,
        name: fields.string()?,
        created_at: fields.int()?,
        last_used_at: fields.optional_int()?,
        counter: u32::try_from(fields.int()?).map_err(|_| malformed(PASSKEY))?,
        credential: fields.string()?,
    })
}
