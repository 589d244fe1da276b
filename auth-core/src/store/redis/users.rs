//! Accounts: `user:{id}` (hash), `username:{name}` (the uniqueness index),
//! `recovery:{id}` (set of code hashes). Accounts are permanent records: none
//! of these keys expires.

use async_trait::async_trait;
use redis::Value;
use zeroize::Zeroizing;

use super::RedisStore;
use super::decode::{self, Fields};
use crate::store::StoreError;
use crate::store::{NewUser, SecretHash, TotpState, User, UserStore};

const USER: &str = "user record";

impl RedisStore {
    /// Reads an account by `"id"` or by `"name"`.
    async fn get_user(&self, by: &str, value: &str) -> Result<Option<User>, StoreError> {
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                self.scripts
                    .get_user
                    .arg(&*self.prefix)
                    .arg(by)
                    .arg(value)
                    .invoke_async(&mut connection),
            )
            .await?;
        let Some(mut fields) = Fields::of(reply, USER)? else {
            return Ok(None);
        };
        let id = fields.string()?;
        let username = fields.string()?;
        let password_hash = fields.optional_string()?;
        let roles = fields.string_list()?;
        let secret = fields.optional_bytes()?.map(Zeroizing::new);
        let confirmed = fields.optional_string()?.as_deref() == Some("1");
        let created_at = fields.int()?;
        let mut codes = Fields::array(fields.value()?, USER)?;
        let mut recovery_codes = Vec::new();
        while let Some(hex) = codes.next_string()? {
            recovery_codes.push(decode::secret_hash(&hex, USER)?);
        }
        Ok(Some(User {
            id,
            username,
            password_hash,
            roles,
            totp: secret.map(|secret| TotpState { secret, confirmed }),
            recovery_codes,
            created_at,
        }))
    }

    /// Sets the fields `set` and deletes the fields `delete` of account `id`.
    async fn update_user(
        &self,
        id: &str,
        set: &[(&str, &[u8])],
        delete: &[&str],
    ) -> Result<(), StoreError> {
        let mut connection = self.connection();
        let mut invocation = self.scripts.update_user.key(self.key("user", id));
        invocation.arg(set.len());
        for (field, value) in set {
            invocation.arg(*field).arg(*value);
        }
        for field in delete {
            invocation.arg(*field);
        }
        let reply = self.run(invocation.invoke_async(&mut connection)).await?;
        if decode::flag(reply, USER)? {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }
}

#[async_trait]
impl UserStore for RedisStore {
    async fn create_user(&self, user: NewUser) -> Result<User, StoreError> {
        let id = crate::random::token_id()?;
        let created_at = crate::time::now();
        let roles = decode::encode_list(&user.roles)?;
        let mut connection = self.connection();
        let reply = self
            .run(
                self.scripts
                    .create_user
                    .key(self.key("username", &user.username))
                    .key(self.key("user", &id))
                    .arg(&id)
                    .arg(&user.username)
                    .arg(if user.password_hash.is_some() {
                        "1"
                    } else {
                        "0"
                    })
                    .arg(user.password_hash.as_deref().unwrap_or(""))
                    .arg(roles)
                    .arg(created_at)
                    .invoke_async(&mut connection),
            )
            .await?;
        if !decode::flag(reply, USER)? {
            return Err(StoreError::UsernameTaken);
        }
        Ok(User {
            id,
            username: user.username,
            password_hash: user.password_hash,
            roles: user.roles,
            totp: None,
            recovery_codes: Vec::new(),
            created_at,
        })
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
        self.get_user("name", username).await
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        self.get_user("id", id).await
    }

    async fn set_password_hash(&self, id: &str, phc: &str) -> Result<(), StoreError> {
        self.update_user(id, &[("pw", phc.as_bytes())], &[]).await
    }

    async fn set_totp(&self, id: &str, totp: Option<TotpState>) -> Result<(), StoreError> {
        match totp {
            Some(totp) => {
                let confirmed: &[u8] = if totp.confirmed { b"1" } else { b"0" };
                self.update_user(
                    id,
                    &[("totp", totp.secret.as_slice()), ("totp_ok", confirmed)],
                    &[],
                )
                .await
            }
            None => self.update_user(id, &[("totp_ok", b"0")], &["totp"]).await,
        }
    }

    async fn set_recovery_codes(&self, id: &str, codes: Vec<SecretHash>) -> Result<(), StoreError> {
        let mut connection = self.connection();
        let mut invocation = self.scripts.set_recovery_codes.key(self.key("user", id));
        invocation.key(self.key("recovery", id));
        for code in &codes {
            invocation.arg(code.to_hex());
        }
        let reply = self.run(invocation.invoke_async(&mut connection)).await?;
        if decode::flag(reply, USER)? {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// One `SREM`: the set is keyed by the SHA-256 of a high-entropy code, so
    /// the lookup's timing tells nothing usable about the stored codes.
    async fn consume_recovery_code(&self, id: &str, code: &SecretHash) -> Result<bool, StoreError> {
        let mut connection = self.connection();
        let removed: Value = self
            .run(
                redis::cmd("SREM")
                    .arg(self.key("recovery", id))
                    .arg(code.to_hex())
                    .query_async(&mut connection),
            )
            .await?;
        Ok(decode::int(removed, "reply to SREM")? > 0)
    }
}
