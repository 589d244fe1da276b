//! Removing expired rows, in small batches.

use std::time::Duration;

use tokio::time::MissedTickBehavior;

use super::PostgresStore;
use super::errors::{Db, bounded};
use crate::store::BackgroundTask;
use crate::store::StoreError;
use crate::time::now as clock;

/// Rows deleted per statement: small enough that no statement holds its
/// locks for long, large enough that a backlog clears in a few round trips.
const BATCH: i64 = 1000;

/// One batch of each expiring kind, deleted where the expiry is before `$1`.
/// Rows locked by a running operation are skipped (`SKIP LOCKED`): the purge
/// never waits on a request, and gets them next time. A session row holds its
/// refresh-token family too, and expires with its newest token.
const PURGES: [&str; 6] = [
    "DELETE FROM auth_sessions WHERE ctid IN (SELECT ctid FROM auth_sessions \
     WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    "DELETE FROM auth_revocations WHERE ctid IN (SELECT ctid FROM auth_revocations \
     WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    "DELETE FROM auth_throttle WHERE ctid IN (SELECT ctid FROM auth_throttle \
     WHERE window_ends < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    "DELETE FROM auth_one_time WHERE ctid IN (SELECT ctid FROM auth_one_time \
     WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    "DELETE FROM auth_codes WHERE ctid IN (SELECT ctid FROM auth_codes \
     WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    "DELETE FROM auth_ceremonies WHERE ctid IN (SELECT ctid FROM auth_ceremonies \
     WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
];

impl PostgresStore {
    /// Deletes every row whose expiry is before `now`: sessions (with their
    /// refresh-token families) past their newest token, revocations,
    /// throttling windows, single-use marks and codes, passkey ceremonies.
    /// Returns how many rows
    /// were deleted.
    ///
    /// Works in batches of a thousand rows, each its own short statement, so
    /// it can run beside live traffic; rows in use at that moment are left
    /// for the next run.
    pub async fn purge_expired(&self, now: i64) -> Result<u64, StoreError> {
        let mut removed = 0u64;
        for purge in PURGES {
            loop {
                let done = bounded(async {
                    sqlx::query(purge)
                        .bind(now)
                        .bind(BATCH)
                        .execute(&self.pool)
                        .await
                        .db()
                })
                .await?;
                let deleted = done.rows_affected();
                removed = removed.saturating_add(deleted);
                if deleted < BATCH.unsigned_abs() {
                    break;
                }
            }
        }
        Ok(removed)
    }

    /// Runs [`purge_expired`](Self::purge_expired) now and then every
    /// `interval` (at least a second) on the Tokio runtime, until the handle
    /// is dropped. [`attach`](crate::store::Attach::attach) starts one. A failed run is logged and retried at the next interval.
    ///
    /// Several instances may each run one: the batches skip each other's rows.
    pub fn spawn_cleanup(&self, interval: Duration) -> BackgroundTask {
        let store = self.clone();
        let period = interval.max(Duration::from_secs(1));
        BackgroundTask::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match store.purge_expired(clock()).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::debug!(removed, "purged expired store rows"),
                    Err(error) => tracing::warn!(
                        %error,
                        "purging expired store rows failed; retrying at the next interval"
                    ),
                }
            }
        })
    }
}
