//! Sessions and their refresh-token families: `session:{sid}` (hash),
//! `refresh:{hash}` (hash: sid, retired, expiry), `user_sessions:{user id}`
//! (set of sids). Each expires with what it describes.
//!
//! Revoking a session deletes its record only: its tokens then point at
//! nothing and are refused until they expire (a retired token of a revoked
//! family is [`Rotation::Invalid`], not [`Rotation::Reused`]: the family is
//! already dead).

use async_trait::async_trait;
use redis::Value;

use super::decode::{self, Fields};
use super::{RedisStore, expiry};
use crate::Error;
use crate::store::{Rotation, SecretHash, Session, SessionStore};

const SESSION: &str = "session record";

#[async_trait]
impl SessionStore for RedisStore {
    async fn create_session(
        &self,
        session: &Session,
        refresh: &SecretHash,
        refresh_expires_at: i64,
    ) -> Result<(), Error> {
        let amr = decode::encode_list(&session.amr)?;
        let mut connection = self.connection();
        let mut invocation = self
            .scripts
            .create_session
            .key(self.key("session", &session.sid));
        invocation
            .key(self.key("refresh", &refresh.to_hex()))
            .key(self.key("user_sessions", &session.user_id))
            .arg(&session.sid)
            .arg(&session.user_id)
            .arg(amr)
            .arg(session.auth_time)
            .arg(session.created_at)
            .arg(refresh_expires_at)
            .arg(expiry(refresh_expires_at));
        let _: Value = self.run(invocation.invoke_async(&mut connection)).await?;
        Ok(())
    }

    async fn rotate_refresh(
        &self,
        presented: &SecretHash,
        next: &SecretHash,
        now: i64,
        next_expires_at: i64,
    ) -> Result<Rotation, Error> {
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                self.scripts
                    .rotate_refresh
                    .key(self.key("refresh", &presented.to_hex()))
                    .arg(&*self.prefix)
                    .arg(next.to_hex())
                    .arg(now)
                    .arg(next_expires_at)
                    .arg(expiry(next_expires_at))
                    .invoke_async(&mut connection),
            )
            .await?;
        let mut fields = Fields::array(reply, SESSION)?;
        match fields.string()?.as_str() {
            "invalid" => Ok(Rotation::Invalid),
            "rotated" => Ok(Rotation::Rotated(decode::session(&mut fields)?)),
            "reused" => Ok(Rotation::Reused(decode::session(&mut fields)?)),
            _ => Err(decode::malformed(SESSION)),
        }
    }

    async fn session_by_refresh(&self, refresh: &SecretHash) -> Result<Option<Session>, Error> {
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                self.scripts
                    .session_by_refresh
                    .key(self.key("refresh", &refresh.to_hex()))
                    .arg(&*self.prefix)
                    .arg(crate::time::now())
                    .invoke_async(&mut connection),
            )
            .await?;
        Fields::of(reply, SESSION)?
            .map(|mut fields| decode::session(&mut fields))
            .transpose()
    }

    async fn revoke_session(&self, sid: &str) -> Result<Option<Session>, Error> {
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

    async fn revoke_user_sessions(&self, user_id: &str) -> Result<Vec<Session>, Error> {
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
        let mut sessions = Fields::array(reply, SESSION)?;
        let mut live = Vec::new();
        while !sessions.is_done() {
            let mut fields = Fields::array(sessions.value()?, SESSION)?;
            live.push(decode::session(&mut fields)?);
        }
        Ok(live)
    }
}
