//! Sessions and their refresh-token families.
//!
//! A session row lives until it is revoked (deleted, its tokens with it by
//! cascade) or purged after its last token's expiry. A retired token of a
//! revoked family is therefore unknown, hence [`Rotation::Invalid`], as in the
//! memory store: the family is already dead, there is nothing left to revoke.

use async_trait::async_trait;

use super::PostgresStore;
use super::errors::{Db, bounded};
use crate::Error;
use crate::store::{Rotation, SecretHash, Session, SessionStore};
use crate::time::now as clock;

/// `sid, user_id, amr, auth_time, created_at, expires_at`.
type SessionRow = (String, String, Vec<String>, i64, i64, i64);

/// The session of a row, and the row's expiry.
fn session_of(row: SessionRow) -> (Session, i64) {
    let (sid, user_id, amr, auth_time, created_at, expires_at) = row;
    let session = Session {
        sid,
        user_id,
        amr,
        auth_time,
        created_at,
    };
    (session, expires_at)
}

/// The sessions of `rows` still live at `now`.
fn live(rows: Vec<SessionRow>, now: i64) -> Vec<Session> {
    rows.into_iter()
        .map(session_of)
        .filter(|(_, expires_at)| *expires_at > now)
        .map(|(session, _)| session)
        .collect()
}

#[async_trait]
impl SessionStore for PostgresStore {
    async fn create_session(
        &self,
        session: &Session,
        refresh: &SecretHash,
        refresh_expires_at: i64,
    ) -> Result<(), Error> {
        bounded(async {
            sqlx::query(
                "WITH session AS ( \
                     INSERT INTO auth_sessions \
                         (sid, user_id, amr, auth_time, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING sid) \
                 INSERT INTO auth_refresh_tokens (hash, sid, expires_at) \
                 SELECT $7, sid, $6 FROM session",
            )
            .bind(&session.sid)
            .bind(&session.user_id)
            .bind(&session.amr)
            .bind(session.auth_time)
            .bind(session.created_at)
            .bind(refresh_expires_at)
            .bind(refresh.0.as_slice())
            .execute(&self.pool)
            .await
            .db()?;
            Ok(())
        })
        .await
    }

    async fn rotate_refresh(
        &self,
        presented: &SecretHash,
        next: &SecretHash,
        now: i64,
        next_expires_at: i64,
    ) -> Result<Rotation, Error> {
        bounded(async {
            let mut tx = self.pool.begin().await.db()?;
            // The session first (see the module comment on lock order). A
            // concurrent rotation of the same family waits here, and reads
            // the token below only once the other has committed.
            let session: Option<SessionRow> = sqlx::query_as(
                "SELECT sid, user_id, amr, auth_time, created_at, expires_at \
                 FROM auth_sessions \
                 WHERE sid = (SELECT sid FROM auth_refresh_tokens WHERE hash = $1) \
                 FOR UPDATE",
            )
            .bind(presented.0.as_slice())
            .fetch_optional(&mut *tx)
            .await
            .db()?;
            let token: Option<(bool, i64)> = match &session {
                Some(_) => sqlx::query_as(
                    "SELECT retired, expires_at FROM auth_refresh_tokens \
                     WHERE hash = $1 FOR UPDATE",
                )
                .bind(presented.0.as_slice())
                .fetch_optional(&mut *tx)
                .await
                .db()?,
                None => None,
            };
            let (Some(row), Some((retired, token_expires_at))) = (session, token) else {
                tx.commit().await.db()?;
                return Ok(Rotation::Invalid);
            };
            let (session, session_expires_at) = session_of(row);
            // An expired token proves nothing, not even reuse.
            if token_expires_at <= now || session_expires_at <= now {
                tx.commit().await.db()?;
                return Ok(Rotation::Invalid);
            }
            if retired {
                // Reuse (RFC 9700 §4.14.2): the family goes, its tokens with it.
                sqlx::query("DELETE FROM auth_sessions WHERE sid = $1")
                    .bind(&session.sid)
                    .execute(&mut *tx)
                    .await
                    .db()?;
                tx.commit().await.db()?;
                return Ok(Rotation::Reused(session));
            }
            sqlx::query(
                "WITH retired AS ( \
                     UPDATE auth_refresh_tokens SET retired = TRUE WHERE hash = $1), \
                 extended AS ( \
                     UPDATE auth_sessions SET expires_at = GREATEST(expires_at, $4) \
                     WHERE sid = $3) \
                 INSERT INTO auth_refresh_tokens (hash, sid, expires_at) VALUES ($2, $3, $4)",
            )
            .bind(presented.0.as_slice())
            .bind(next.0.as_slice())
            .bind(&session.sid)
            .bind(next_expires_at)
            .execute(&mut *tx)
            .await
            .db()?;
            tx.commit().await.db()?;
            Ok(Rotation::Rotated(session))
        })
        .await
    }

    async fn session_by_refresh(&self, refresh: &SecretHash) -> Result<Option<Session>, Error> {
        bounded(async {
            let row: Option<SessionRow> = sqlx::query_as(
                "SELECT s.sid, s.user_id, s.amr, s.auth_time, s.created_at, s.expires_at \
                 FROM auth_sessions s JOIN auth_refresh_tokens t ON t.sid = s.sid \
                 WHERE t.hash = $1 AND s.expires_at > $2",
            )
            .bind(refresh.0.as_slice())
            .bind(clock())
            .fetch_optional(&self.pool)
            .await
            .db()?;
            Ok(row.map(|row| session_of(row).0))
        })
        .await
    }

    async fn revoke_session(&self, sid: &str) -> Result<Option<Session>, Error> {
        bounded(async {
            let rows: Vec<SessionRow> = sqlx::query_as(
                "DELETE FROM auth_sessions WHERE sid = $1 \
                 RETURNING sid, user_id, amr, auth_time, created_at, expires_at",
            )
            .bind(sid)
            .fetch_all(&self.pool)
            .await
            .db()?;
            Ok(live(rows, clock()).into_iter().next())
        })
        .await
    }

    async fn revoke_user_sessions(&self, user_id: &str) -> Result<Vec<Session>, Error> {
        bounded(async {
            // Locked in `sid` order, so two of these for one user cannot deadlock.
            let rows: Vec<SessionRow> = sqlx::query_as(
                "DELETE FROM auth_sessions WHERE sid IN ( \
                     SELECT sid FROM auth_sessions WHERE user_id = $1 ORDER BY sid FOR UPDATE) \
                 RETURNING sid, user_id, amr, auth_time, created_at, expires_at",
            )
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .db()?;
            Ok(live(rows, clock()))
        })
        .await
    }
}
