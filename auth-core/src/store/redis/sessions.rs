//! Sessions and their refresh-token families: `session:{sid}` (hash: the
//! session and its family's constant-size state), `user_sessions:{user id}`
//! (set of sids). Each expires with what it describes.
//!
//! Revoking a session deletes its record: its tokens then name a family that
//! is not there and are refused.

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use redis::Value;

use super::decode::{self, Fields};
use super::{RedisStore, expiry};
use crate::flow::ClientInfo;
use crate::store::StoreError;
use crate::store::{NextRefresh, PresentedRefresh, Rotation, SecretHash, Session, SessionStore};

const SESSION: &str = "session record";

#[async_trait]
impl SessionStore for RedisStore {
    async fn create_session(
        &self,
        session: &Session,
        refresh: &SecretHash,
        refresh_expires_at: i64,
    ) -> Result<(), StoreError> {
        let amr = decode::encode_list(&session.amr)?;
        let ip = session.ip.map(|ip| ip.to_string()).unwrap_or_default();
        let mut connection = self.connection();
        let mut invocation = self
            .scripts
            .create_session
            .key(self.key("session", &session.sid));
        invocation
            .key(self.key("user_sessions", &session.user_id))
            .arg(&session.sid)
            .arg(&session.user_id)
            .arg(amr)
            .arg(session.auth_time)
            .arg(session.created_at)
            .arg(refresh_expires_at)
            .arg(expiry(refresh_expires_at))
            .arg(refresh.to_hex())
            .arg(session.last_used_at)
            .arg(ip)
            .arg(session.user_agent.as_deref().unwrap_or_default());
        let _: Value = self.run(invocation.invoke_async(&mut connection)).await?;
        Ok(())
    }

    async fn rotate_refresh(
        &self,
        presented: &PresentedRefresh,
        next: &NextRefresh,
        now: i64,
        next_expires_at: i64,
        reuse_interval: i64,
        client: &ClientInfo,
    ) -> Result<Rotation, StoreError> {
        let (ip, user_agent) = decode::client_args(client);
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                self.scripts
                    .rotate_refresh
                    .key(self.key("session", &presented.sid))
                    .arg(&*self.prefix)
                    .arg(&presented.sid)
                    .arg(presented.generation)
                    .arg(presented.expires_at)
                    .arg(presented.hash.to_hex())
                    .arg(next.generation)
                    .arg(next.hash.to_hex())
                    .arg(URL_SAFE_NO_PAD.encode(&next.sealed))
                    .arg(now)
                    .arg(next_expires_at)
                    .arg(expiry(next_expires_at))
                    .arg(reuse_interval)
                    .arg(ip)
                    .arg(user_agent)
                    .invoke_async(&mut connection),
            )
            .await?;
        let mut fields = Fields::array(reply, SESSION)?;
        match fields.string()?.as_str() {
            "invalid" => Ok(Rotation::Invalid),
            "rotated" => Ok(Rotation::Rotated(decode::session(&mut fields)?)),
            "reused" => Ok(Rotation::Reused(decode::session(&mut fields)?)),
            "repeated" => {
                let session = decode::session(&mut fields)?;
                let sealed_successor = URL_SAFE_NO_PAD
                    .decode(fields.string()?)
                    .map_err(|_| decode::malformed(SESSION))?;
                Ok(Rotation::Repeated {
                    session,
                    sealed_successor,
                })
            }
            _ => Err(decode::malformed(SESSION)),
        }
    }

    async fn session(&self, sid: &str) -> Result<Option<Session>, StoreError> {
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                redis::cmd("HMGET")
                    .arg(self.key("session", sid))
                    .arg("user")
                    .arg("amr")
                    .arg("auth_time")
                    .arg("created")
                    .arg("used")
                    .arg("ip")
                    .arg("ua")
                    .arg("exp")
                    .query_async(&mut connection),
            )
            .await?;
        let mut fields = Fields::array(reply, SESSION)?;
        let Some(user_id) = fields.optional_string()? else {
            return Ok(None);
        };
        let session = decode::session_of(sid.to_owned(), user_id, &mut fields)?;
        let live = fields.int()? > crate::time::now();
        Ok(live.then_some(session))
    }

    async fn revoke_session(&self, sid: &str) -> Result<Option<Session>, StoreError> {
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                self.scripts
                    .revoke_session
                    .key(self.key("session", sid))
                    .arg(&*self.prefix)
                    .arg(sid)
                    .arg(crate::time::now())
                    .invoke_async(&mut connection),
            )
            .await?;
        Fields::of(reply, SESSION)?
            .map(|mut fields| decode::session(&mut fields))
            .transpose()
    }

    async fn revoke_user_sessions(&self, user_id: &str) -> Result<Vec<Session>, StoreError> {
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                self.scripts
                    .revoke_user_sessions
                    .key(self.key("user_sessions", user_id))
                    .arg(&*self.prefix)
                    .arg(crate::time::now())
                    .invoke_async(&mut connection),
            )
            .await?;
        sessions_of(reply)
    }

    async fn user_sessions(&self, user_id: &str) -> Result<Vec<Session>, StoreError> {
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                self.scripts
                    .user_sessions
                    .key(self.key("user_sessions", user_id))
                    .arg(&*self.prefix)
                    .arg(crate::time::now())
                    .invoke_async(&mut connection),
            )
            .await?;
        sessions_of(reply)
    }
}

/// The sessions of a script's reply: a list of session records.
fn sessions_of(reply: Value) -> Result<Vec<Session>, StoreError> {
    let mut sessions = Fields::array(reply, SESSION)?;
    let mut live = Vec::new();
    while !sessions.is_done() {
        let mut fields = Fields::array(sessions.value()?, SESSION)?;
        live.push(decode::session(&mut fields)?);
    }
    Ok(live)
}
