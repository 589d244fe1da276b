//! Single-use marks, and short-lived codes awaiting their one use.

use async_trait::async_trait;

use super::PostgresStore;
use super::errors::{Db, bounded};
use crate::store::StoreError;
use crate::store::{OneTimeStore, SecretHash};
use crate::time::now as clock;

#[async_trait]
impl OneTimeStore for PostgresStore {
    async fn use_once(&self, key: &str, expires_at: i64) -> Result<bool, StoreError> {
        bounded(async {
            // Inserts the mark, or takes over one that has expired; a mark
            // still holding (`now <= expires_at`) returns no row. Concurrent
            // calls queue on the key's row and see the winner's mark.
            let marked: Option<i32> = sqlx::query_scalar(
                "INSERT INTO auth_one_time AS o (key, expires_at) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at \
                 WHERE o.expires_at < $3 \
                 RETURNING 1",
            )
            .bind(key)
            .bind(expires_at)
            .bind(clock())
            .fetch_optional(&self.pool)
            .await
            .db()?;
            Ok(marked.is_some())
        })
        .await
    }

    async fn is_used(&self, key: &str, now: i64) -> Result<bool, StoreError> {
        bounded(async {
            let marked: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM auth_one_time WHERE key = $1 AND expires_at >= $2)",
            )
            .bind(key)
            .bind(now)
            .fetch_one(&self.pool)
            .await
            .db()?;
            Ok(marked)
        })
        .await
    }

    async fn put_code(
        &self,
        key: &str,
        code: &SecretHash,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        bounded(async {
            sqlx::query(
                "INSERT INTO auth_codes (key, code_hash, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET \
                     code_hash = EXCLUDED.code_hash, expires_at = EXCLUDED.expires_at",
            )
            .bind(key)
            .bind(code.0.as_slice())
            .bind(expires_at)
            .execute(&self.pool)
            .await
            .db()?;
            Ok(())
        })
        .await
    }

    async fn consume_code(
        &self,
        key: &str,
        code: &SecretHash,
        now: i64,
    ) -> Result<bool, StoreError> {
        bounded(async {
            // Compared here in constant time, not by the database; the row
            // lock makes the read-compare-delete atomic.
            let mut tx = self.pool.begin().await.db()?;
            let stored: Option<([u8; 32], i64)> = sqlx::query_as(
                "SELECT code_hash, expires_at FROM auth_codes WHERE key = $1 FOR UPDATE",
            )
            .bind(key)
            .fetch_optional(&mut *tx)
            .await
            .db()?;
            let matches = stored.is_some_and(|(stored, expires_at)| {
                // Both checks always run: no early exit on expiry.
                let fresh = now < expires_at;
                SecretHash(stored).ct_eq(code) & fresh
            });
            if matches {
                sqlx::query("DELETE FROM auth_codes WHERE key = $1")
                    .bind(key)
                    .execute(&mut *tx)
                    .await
                    .db()?;
            }
            tx.commit().await.db()?;
            Ok(matches)
        })
        .await
    }
}
