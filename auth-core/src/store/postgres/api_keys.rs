//! API keys, by hash (lookup) and by id (deletion); each creation and
//! deletion is announced on [`PostgresStore::REVOCATION_CHANNEL`] in the
//! same statement as the write, so it is announced exactly when it commits.

use async_trait::async_trait;

use super::PostgresStore;
use super::errors::{Db, bounded};
use crate::store::StoreError;
use crate::store::{ApiKey, ApiKeyStore, SecretHash};

/// `id, user_id, name, hash, created_at`.
type ApiKeyRow = (String, String, String, [u8; 32], i64);

fn api_key_of((id, user_id, name, hash, created_at): ApiKeyRow) -> ApiKey {
    ApiKey {
        id,
        user_id,
        name,
        hash: SecretHash(hash),
        created_at,
    }
}

#[async_trait]
impl ApiKeyStore for PostgresStore {
    async fn create_api_key(&self, key: &ApiKey, max_per_user: usize) -> Result<(), StoreError> {
        let limit = i64::try_from(max_per_user).unwrap_or(i64::MAX);
        bounded(async {
            let mut tx = self.pool.begin().await.db()?;
            // Creations for one user take turns on a lock of their own, so
            // the count below cannot be raced past the limit; the lock ends
            // with the transaction.
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7036))")
                .bind(&key.user_id)
                .execute(&mut *tx)
                .await
                .db()?;
            let held: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM auth_api_keys WHERE user_id = $1 AND id <> $2",
            )
            .bind(&key.user_id)
            .bind(&key.id)
            .fetch_one(&mut *tx)
            .await
            .db()?;
            if held >= limit {
                tx.commit().await.db()?;
                return Err(StoreError::TooManyApiKeys { max: max_per_user });
            }
            // Ids are random; should one be reused, the newer key replaces
            // the older, as in the memory store (and in the instances'
            // indexes, which replace by id too).
            sqlx::query(
                "WITH saved AS ( \
                     INSERT INTO auth_api_keys (id, user_id, name, hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, \
                         name = EXCLUDED.name, hash = EXCLUDED.hash, \
                         created_at = EXCLUDED.created_at \
                     RETURNING id, user_id, name, hash, created_at) \
                 SELECT pg_notify($6, json_build_object( \
                     'schema', current_schema(), 'event', 'apikey_created', 'id', id, \
                     'user_id', user_id, 'name', name, 'hash', encode(hash, 'hex'), \
                     'created_at', created_at)::text) \
                 FROM saved",
            )
            .bind(&key.id)
            .bind(&key.user_id)
            .bind(&key.name)
            .bind(key.hash.0.as_slice())
            .bind(key.created_at)
            .bind(Self::REVOCATION_CHANNEL)
            .execute(&mut *tx)
            .await
            .db()?;
            tx.commit().await.db()?;
            Ok(())
        })
        .await
    }

    async fn api_key_by_hash(&self, hash: &SecretHash) -> Result<Option<ApiKey>, StoreError> {
        bounded(async {
            // An index lookup: the hash is a SHA-256 of a high-entropy
            // secret, so its timing reveals nothing usable.
            let row: Option<ApiKeyRow> = sqlx::query_as(
                "SELECT id, user_id, name, hash, created_at FROM auth_api_keys WHERE hash = $1",
            )
            .bind(hash.0.as_slice())
            .fetch_optional(&self.pool)
            .await
            .db()?;
            Ok(row.map(api_key_of))
        })
        .await
    }

    async fn revoke_api_key(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        bounded(async {
            let deleted: Option<String> = sqlx::query_scalar(
                "WITH gone AS ( \
                     DELETE FROM auth_api_keys WHERE id = $1 AND user_id = $2 \
                     RETURNING id, hash) \
                 SELECT id FROM gone, LATERAL (SELECT pg_notify($3, json_build_object( \
                     'schema', current_schema(), 'event', 'apikey_revoked', 'id', id, \
                     'hash', encode(hash, 'hex'))::text)) AS announced",
            )
            .bind(id)
            .bind(user_id)
            .bind(Self::REVOCATION_CHANNEL)
            .fetch_optional(&self.pool)
            .await
            .db()?;
            Ok(deleted.is_some())
        })
        .await
    }

    async fn all_api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        bounded(async {
            let rows: Vec<ApiKeyRow> =
                sqlx::query_as("SELECT id, user_id, name, hash, created_at FROM auth_api_keys")
                    .fetch_all(&self.pool)
                    .await
                    .db()?;
            Ok(rows.into_iter().map(api_key_of).collect())
        })
        .await
    }
}
