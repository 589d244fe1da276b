//! Passkeys, by credential id and by owner; ceremonies awaiting their one use.

use async_trait::async_trait;

use super::PostgresStore;
use super::errors::{Db, bounded, malformed};
use crate::store::StoreError;
use crate::store::{Passkey, PasskeyStore, PasskeyUse};

/// `id, user_id, name, created_at, last_used_at, counter, credential`.
type PasskeyRow = (String, String, String, i64, Option<i64>, i64, String);

const COLUMNS: &str = "id, user_id, name, created_at, last_used_at, counter, credential";

fn passkey_of(
    (id, user_id, name, created_at, last_used_at, counter, credential): PasskeyRow,
) -> Result<Passkey, StoreError> {
    Ok(Passkey {
        id,
        user_id,
        name,
        created_at,
        last_used_at,
        counter: u32::try_from(counter).map_err(|_| malformed("passkey counter"))?,
        credential,
    })
}

#[async_trait]
impl PasskeyStore for PostgresStore {
    async fn create_passkey(
        &self,
        passkey: &Passkey,
        max_per_user: usize,
    ) -> Result<(), StoreError> {
        let limit = i64::try_from(max_per_user).unwrap_or(i64::MAX);
        bounded(async {
            let mut tx = self.pool.begin().await.db()?;
            // Creations for one user take turns, so the count below cannot
            // be raced past the limit; the lock ends with the transaction.
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7037))")
                .bind(&passkey.user_id)
                .execute(&mut *tx)
                .await
                .db()?;
            let held: i64 =
                sqlx::query_scalar("SELECT count(*) FROM auth_passkeys WHERE user_id = $1")
                    .bind(&passkey.user_id)
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
            if held >= limit {
                tx.commit().await.db()?;
                return Err(StoreError::TooManyPasskeys { max: max_per_user });
            }
            let stored: Option<i32> = sqlx::query_scalar(
                "INSERT INTO auth_passkeys \
                     (id, user_id, name, created_at, last_used_at, counter, credential) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (id) DO NOTHING RETURNING 1",
            )
            .bind(&passkey.id)
            .bind(&passkey.user_id)
            .bind(&passkey.name)
            .bind(passkey.created_at)
            .bind(passkey.last_used_at)
            .bind(i64::from(passkey.counter))
            .bind(&passkey.credential)
            .fetch_optional(&mut *tx)
            .await
            .db()?;
            tx.commit().await.db()?;
            stored.map(|_| ()).ok_or(StoreError::PasskeyTaken)
        })
        .await
    }

    async fn passkey(&self, id: &str) -> Result<Option<Passkey>, StoreError> {
        bounded(async {
            let row: Option<PasskeyRow> = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM auth_passkeys WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .db()?;
            row.map(passkey_of).transpose()
        })
        .await
    }

    async fn user_passkeys(&self, user_id: &str) -> Result<Vec<Passkey>, StoreError> {
        bounded(async {
            let rows: Vec<PasskeyRow> = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM auth_passkeys WHERE user_id = $1 ORDER BY created_at, id"
            ))
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .db()?;
            rows.into_iter().map(passkey_of).collect()
        })
        .await
    }

    async fn record_passkey_use(
        &self,
        id: &str,
        counter: u32,
        credential: &str,
        now: i64,
    ) -> Result<PasskeyUse, StoreError> {
        bounded(async {
            // The comparison and the write are one statement: concurrent
            // uses queue on the row and each sees the counter the one before
            // it stored. A row that exists but did not move says why.
            let (recorded, found): (bool, bool) = sqlx::query_as(
                "WITH moved AS ( \
                     UPDATE auth_passkeys SET counter = $2, credential = $3, last_used_at = $4 \
                     WHERE id = $1 AND NOT (($2 > 0 OR counter > 0) AND $2 <= counter) \
                     RETURNING 1) \
                 SELECT EXISTS (SELECT 1 FROM moved), \
                        EXISTS (SELECT 1 FROM auth_passkeys WHERE id = $1)",
            )
            .bind(id)
            .bind(i64::from(counter))
            .bind(credential)
            .bind(now)
            .fetch_one(&self.pool)
            .await
            .db()?;
            Ok(match (recorded, found) {
                (true, _) => PasskeyUse::Recorded,
                (false, true) => PasskeyUse::CounterRegressed,
                (false, false) => PasskeyUse::NotFound,
            })
        })
        .await
    }

    async fn delete_passkey(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        bounded(async {
            let deleted: Option<i32> = sqlx::query_scalar(
                "DELETE FROM auth_passkeys WHERE id = $1 AND user_id = $2 RETURNING 1",
            )
            .bind(id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .db()?;
            Ok(deleted.is_some())
        })
        .await
    }

    async fn put_ceremony(
        &self,
        key: &str,
        state: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        bounded(async {
            sqlx::query(
                "INSERT INTO auth_ceremonies (key, state, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET \
                     state = EXCLUDED.state, expires_at = EXCLUDED.expires_at",
            )
            .bind(key)
            .bind(state)
            .bind(expires_at)
            .execute(&self.pool)
            .await
            .db()?;
            Ok(())
        })
        .await
    }

    async fn take_ceremony(&self, key: &str, now: i64) -> Result<Option<String>, StoreError> {
        bounded(async {
            let taken: Option<(String, i64)> = sqlx::query_as(
                "DELETE FROM auth_ceremonies WHERE key = $1 RETURNING state, expires_at",
            )
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .db()?;
            Ok(taken.and_then(|(state, expires_at)| (now < expires_at).then_some(state)))
        })
        .await
    }
}
