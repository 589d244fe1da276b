//! Fixed windows of failed attempts, one row per key.

use async_trait::async_trait;

use super::PostgresStore;
use super::errors::{Db, bounded};
use crate::store::StoreError;
use crate::store::{Attempt, Failures, ThrottleStore};

fn failures_of((count, window_ends): (i64, i64)) -> Failures {
    Failures {
        count: u32::try_from(count.max(0)).unwrap_or(u32::MAX),
        window_ends,
    }
}

#[async_trait]
impl ThrottleStore for PostgresStore {
    async fn failures(&self, key: &str, now: i64) -> Result<Failures, StoreError> {
        bounded(async {
            let row: Option<(i64, i64)> = sqlx::query_as(
                "SELECT count, window_ends FROM auth_throttle \
                 WHERE key = $1 AND window_ends > $2",
            )
            .bind(key)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .db()?;
            Ok(row.map(failures_of).unwrap_or(Failures {
                count: 0,
                window_ends: now,
            }))
        })
        .await
    }

    async fn record_failure(
        &self,
        key: &str,
        now: i64,
        window_secs: i64,
    ) -> Result<Failures, StoreError> {
        bounded(async {
            // One upsert: counts in the running window, or opens a new one
            // (at least one second long) over an ended window.
            let row: (i64, i64) = sqlx::query_as(
                "INSERT INTO auth_throttle AS t (key, count, window_ends) VALUES ($1, 1, $3) \
                 ON CONFLICT (key) DO UPDATE SET \
                     count = CASE WHEN t.window_ends > $2 \
                         THEN LEAST(t.count + 1, 4294967295) ELSE 1 END, \
                     window_ends = CASE WHEN t.window_ends > $2 \
                         THEN t.window_ends ELSE EXCLUDED.window_ends END \
                 RETURNING count, window_ends",
            )
            .bind(key)
            .bind(now)
            .bind(now.saturating_add(window_secs.max(1)))
            .fetch_one(&self.pool)
            .await
            .db()?;
            Ok(failures_of(row))
        })
        .await
    }

    async fn reserve_attempt(
        &self,
        key: &str,
        now: i64,
        window_secs: i64,
        limit: u32,
    ) -> Result<Attempt, StoreError> {
        if limit == 0 {
            return Ok(Attempt::Refused(self.failures(key, now).await?));
        }
        let reserved = bounded(async {
            // One upsert that counts only under the limit: the row lock makes
            // concurrent reservations of one key take turns, and each sees
            // the count the one before it left.
            let row: Option<(i64, i64)> = sqlx::query_as(
                "INSERT INTO auth_throttle AS t (key, count, window_ends) VALUES ($1, 1, $3) \
                 ON CONFLICT (key) DO UPDATE SET \
                     count = CASE WHEN t.window_ends > $2 THEN t.count + 1 ELSE 1 END, \
                     window_ends = CASE WHEN t.window_ends > $2 \
                         THEN t.window_ends ELSE EXCLUDED.window_ends END \
                 WHERE t.window_ends <= $2 OR t.count < $4 \
                 RETURNING count, window_ends",
            )
            .bind(key)
            .bind(now)
            .bind(now.saturating_add(window_secs.max(1)))
            .bind(i64::from(limit))
            .fetch_optional(&self.pool)
            .await
            .db()?;
            Ok(row.map(failures_of))
        })
        .await?;
        match reserved {
            Some(failures) => Ok(Attempt::Reserved(failures)),
            None => Ok(Attempt::Refused(self.failures(key, now).await?)),
        }
    }

    async fn release_attempt(&self, key: &str, now: i64) -> Result<(), StoreError> {
        bounded(async {
            // The last attempt of a window takes the row with it; both
            // branches see one snapshot, so exactly one of them applies.
            sqlx::query(
                "WITH gone AS ( \
                     DELETE FROM auth_throttle WHERE key = $1 AND window_ends > $2 AND count <= 1 \
                     RETURNING 1) \
                 UPDATE auth_throttle SET count = count - 1 \
                 WHERE key = $1 AND window_ends > $2 AND count > 1 \
                     AND NOT EXISTS (SELECT 1 FROM gone)",
            )
            .bind(key)
            .bind(now)
            .execute(&self.pool)
            .await
            .db()?;
            Ok(())
        })
        .await
    }

    async fn clear_failures(&self, key: &str) -> Result<(), StoreError> {
        bounded(async {
            sqlx::query("DELETE FROM auth_throttle WHERE key = $1")
                .bind(key)
                .execute(&self.pool)
                .await
                .db()?;
            Ok(())
        })
        .await
    }
}
