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
use crate::store::StoreError;
use crate::store::{NextRefresh, PresentedRefresh, Rotation, SecretHash, Session, SessionStore};
use crate::time::now as clock;

/// `sid, user_id, amr, auth_time, created_at, expires_at`.
type SessionRow = (String, String, Vec<String>, i64, i64, i64);

/// A session row with its family's state: `generation, current_hash,
/// previous_hash, sealed_successor, rotated_at`.
type FamilyRow = (
    String,
    String,
    Vec<String>,
    i64,
    i64,
    i64,
    i64,
    Vec<u8>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<i64>,
);

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
                "INSERT INTO auth_sessions \
                     (sid, user_id, amr, auth_time, created_at, expires_at, generation, current_hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
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
        presented: &PresentedRefresh,
        next: &NextRefresh,
        now: i64,
        next_expires_at: i64,
        reuse_interval: i64,
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
            let row: Option<FamilyRow> = sqlx::query_as(
                "SELECT sid, user_id, amr, auth_time, created_at, expires_at, \
                        generation, current_hash, previous_hash, sealed_successor, rotated_at \
                 FROM auth_sessions WHERE sid = $1 FOR UPDATE",
            )
            .bind(&presented.sid)
            .fetch_optional(&mut *tx)
            .await
            .db()?;
            let Some(row) = row else {
                tx.commit().await.db()?;
                return Ok(Rotation::Invalid);
            };
            let (sid, user_id, amr, auth_time, created_at, expires_at) =
                (row.0, row.1, row.2, row.3, row.4, row.5);
            let (current, current_hash, previous_hash, sealed, rotated_at) =
                (row.6, row.7, row.8, row.9, row.10);
            let session = Session {
                sid,
                user_id,
                amr,
                auth_time,
                created_at,
            };
            let rotation = if expires_at <= now {
                Rotation::Invalid
            } else if generation == current {
                if same_hash(&current_hash, &presented.hash) {
                    sqlx::query(
                        "UPDATE auth_sessions SET generation = $2, current_hash = $3, \
                             previous_hash = $4, sealed_successor = $5, rotated_at = $6, \
                             expires_at = GREATEST(expires_at, $7) \
                         WHERE sid = $1",
                    )
                    .bind(&session.sid)
                    .bind(next_generation)
                    .bind(next.hash.0.as_slice())
                    .bind(presented.hash.0.as_slice())
                    .bind(next.sealed.as_slice())
                    .bind(now)
                    .bind(next_expires_at)
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
                    && previous_hash
                        .as_deref()
                        .is_some_and(|previous| same_hash(previous, &presented.hash))
                    && rotated_at.is_some_and(|at| now.saturating_sub(at) <= reuse_interval);
                match sealed {
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
            let row: Option<SessionRow> = sqlx::query_as(
                "SELECT sid, user_id, amr, auth_time, created_at, expires_at \
                 FROM auth_sessions WHERE sid = $1 AND expires_at > $2",
            )
            .bind(sid)
            .bind(clock())
            .fetch_optional(&self.pool)
            .await
            .db()?;
            Ok(row.map(|row| session_of(row).0))
        })
        .await
    }

    async fn revoke_session(&self, sid: &str) -> Result<Option<Session>, StoreError> {
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

    async fn revoke_user_sessions(&self, user_id: &str) -> Result<Vec<Session>, StoreError> {
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
