//! Sessions and their refresh-token families: one row per session, holding
//! the family's constant-size state.
//!
//! A session row lives until it is revoked (deleted) or purged after its
//! newest token's expiry. Tokens of a revoked family then name a row that is
//! not there, hence [`Rotation::Invalid`], as in the memory store: the
//! family is already dead, there is nothing left to revoke.

use async_trait::async_trait;

use super::PostgresStore;
use super::errors::{Db, bounded};
use crate::flow::ClientInfo;
use crate::store::StoreError;
use crate::store::{NextRefresh, PresentedRefresh, Rotation, SecretHash, Session, SessionStore};
use crate::time::now as clock;

/// The columns of a [`SessionRow`], as a literal for `concat!`.
macro_rules! session_columns {
    () => {
        "sid, user_id, amr, auth_time, created_at, last_used_at, ip, user_agent, expires_at"
    };
}

/// A session's row, without its family's state.
#[derive(sqlx::FromRow)]
struct SessionRow {
    sid: String,
    user_id: String,
    amr: Vec<String>,
    auth_time: i64,
    created_at: i64,
    last_used_at: i64,
    ip: Option<String>,
    user_agent: Option<String>,
    expires_at: i64,
}

/// A session row with its family's state.
#[derive(sqlx::FromRow)]
struct FamilyRow {
    #[sqlx(flatten)]
    session: SessionRow,
    generation: i64,
    current_hash: Vec<u8>,
    previous_hash: Option<Vec<u8>>,
    sealed_successor: Option<Vec<u8>>,
    rotated_at: Option<i64>,
}

impl SessionRow {
    /// The session of this row (an address that does not parse, which this
    /// store never writes, reads as unknown).
    fn into_session(self) -> Session {
        Session {
            sid: self.sid,
            user_id: self.user_id,
            amr: self.amr,
            auth_time: self.auth_time,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            ip: self.ip.and_then(|ip| ip.parse().ok()),
            user_agent: self.user_agent,
        }
    }
}

/// The sessions of `rows` still live at `now`.
fn live(rows: Vec<SessionRow>, now: i64) -> Vec<Session> {
    rows.into_iter()
        .filter(|row| row.expires_at > now)
        .map(SessionRow::into_session)
        .collect()
}

/// Whether stored hash bytes are `hash`, in constant time.
fn same_hash(stored: &[u8], hash: &SecretHash) -> bool {
    <[u8; 32]>::try_from(stored).is_ok_and(|stored| SecretHash(stored).ct_eq(hash))
}

#[async_trait]
impl SessionStore for PostgresStore {
    async fn create_session(
        &self,
        session: &Session,
        refresh: &SecretHash,
        refresh_expires_at: i64,
    ) -> Result<(), StoreError> {
        bounded(async {
            sqlx::query(
                "INSERT INTO auth_sessions (sid, user_id, amr, auth_time, created_at, \
                     last_used_at, ip, user_agent, expires_at, generation, current_hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10)",
            )
            .bind(&session.sid)
            .bind(&session.user_id)
            .bind(&session.amr)
            .bind(session.auth_time)
            .bind(session.created_at)
            .bind(session.last_used_at)
            .bind(session.ip.map(|ip| ip.to_string()))
            .bind(&session.user_agent)
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
        presented: &PresentedRefresh,
        next: &NextRefresh,
        now: i64,
        next_expires_at: i64,
        reuse_interval: i64,
        client: &ClientInfo,
    ) -> Result<Rotation, StoreError> {
        // An expired token proves nothing, not even reuse.
        if presented.expires_at <= now {
            return Ok(Rotation::Invalid);
        }
        let (Ok(generation), Ok(next_generation)) = (
            i64::try_from(presented.generation),
            i64::try_from(next.generation),
        ) else {
            return Ok(Rotation::Invalid);
        };
        bounded(async {
            let mut tx = self.pool.begin().await.db()?;
            // A concurrent rotation of the same family waits here, and reads
            // the row only once the other has committed.
            let row: Option<FamilyRow> = sqlx::query_as(concat!(
                "SELECT ",
                session_columns!(),
                ", \
                        generation, current_hash, previous_hash, sealed_successor, rotated_at \
                 FROM auth_sessions WHERE sid = $1 FOR UPDATE"
            ))
            .bind(&presented.sid)
            .fetch_optional(&mut *tx)
            .await
            .db()?;
            let Some(row) = row else {
                tx.commit().await.db()?;
                return Ok(Rotation::Invalid);
            };
            let expires_at = row.session.expires_at;
            let current = row.generation;
            let mut session = row.session.into_session();
            let rotation = if expires_at <= now {
                Rotation::Invalid
            } else if generation == current {
                if same_hash(&row.current_hash, &presented.hash) {
                    session.last_used_at = now;
                    session.ip = client.ip();
                    session.user_agent = client.user_agent().map(str::to_owned);
                    sqlx::query(
                        "UPDATE auth_sessions SET generation = $2, current_hash = $3, \
                             previous_hash = $4, sealed_successor = $5, rotated_at = $6, \
                             expires_at = GREATEST(expires_at, $7), \
                             last_used_at = $6, ip = $8, user_agent = $9 \
                         WHERE sid = $1",
                    )
                    .bind(&session.sid)
                    .bind(next_generation)
                    .bind(next.hash.0.as_slice())
                    .bind(presented.hash.0.as_slice())
                    .bind(next.sealed.as_slice())
                    .bind(now)
                    .bind(next_expires_at)
                    .bind(session.ip.map(|ip| ip.to_string()))
                    .bind(&session.user_agent)
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    Rotation::Rotated(session)
                } else {
                    Rotation::Invalid
                }
            } else if generation > current {
                Rotation::Invalid
            } else {
                let repeated = generation.saturating_add(1) == current
                    && reuse_interval > 0
                    && row
                        .previous_hash
                        .as_deref()
                        .is_some_and(|previous| same_hash(previous, &presented.hash))
                    && row
                        .rotated_at
                        .is_some_and(|at| now.saturating_sub(at) <= reuse_interval);
                match row.sealed_successor {
                    Some(sealed_successor) if repeated => Rotation::Repeated {
                        session,
                        sealed_successor,
                    },
                    _ => {
                        // Reuse (RFC 9700 §4.14.2): the family goes.
                        sqlx::query("DELETE FROM auth_sessions WHERE sid = $1")
                            .bind(&session.sid)
                            .execute(&mut *tx)
                            .await
                            .db()?;
                        Rotation::Reused(session)
                    }
                }
            };
            tx.commit().await.db()?;
            Ok(rotation)
        })
        .await
    }

    async fn session(&self, sid: &str) -> Result<Option<Session>, StoreError> {
        bounded(async {
            let row: Option<SessionRow> = sqlx::query_as(concat!(
                "SELECT ",
                session_columns!(),
                " FROM auth_sessions WHERE sid = $1 AND expires_at > $2"
            ))
            .bind(sid)
            .bind(clock())
            .fetch_optional(&self.pool)
            .await
            .db()?;
            Ok(row.map(SessionRow::into_session))
        })
        .await
    }

    async fn revoke_session(&self, sid: &str) -> Result<Option<Session>, StoreError> {
        bounded(async {
            let rows: Vec<SessionRow> = sqlx::query_as(concat!(
                "DELETE FROM auth_sessions WHERE sid = $1 RETURNING ",
                session_columns!()
            ))
            .bind(sid)
            .fetch_all(&self.pool)
            .await
            .db()?;
            Ok(live(rows, clock()).into_iter().next())
        })
        .await
    }

    async fn revoke_user_sessions(&self, user_id: &str) -> Result<Vec<Session>, StoreError> {
        bounded(async {
            // Locked in `sid` order, so two of these for one user cannot deadlock.
            let rows: Vec<SessionRow> = sqlx::query_as(concat!(
                "DELETE FROM auth_sessions WHERE sid IN ( \
                     SELECT sid FROM auth_sessions WHERE user_id = $1 ORDER BY sid FOR UPDATE) \
                 RETURNING ",
                session_columns!()
            ))
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .db()?;
            Ok(live(rows, clock()))
        })
        .await
    }

    async fn user_sessions(&self, user_id: &str) -> Result<Vec<Session>, StoreError> {
        bounded(async {
            let rows: Vec<SessionRow> = sqlx::query_as(concat!(
                "SELECT ",
                session_columns!(),
                " FROM auth_sessions \
                 WHERE user_id = $1 AND expires_at > $2"
            ))
            .bind(user_id)
            .bind(clock())
            .fetch_all(&self.pool)
            .await
            .db()?;
            Ok(rows.into_iter().map(SessionRow::into_session).collect())
        })
        .await
    }
}
