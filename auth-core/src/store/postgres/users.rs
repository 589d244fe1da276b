//! Accounts: one row each, recovery codes in the row.

use async_trait::async_trait;
use zeroize::Zeroizing;

use super::PostgresStore;
use super::errors::{Db, bounded, store_error, violates};
use crate::store::StoreError;
use crate::store::{NewUser, SecretHash, TotpState, User, UserStore};
use crate::time::now as clock;

/// `id, username, password_hash, roles, totp_secret, totp_confirmed,
/// recovery_codes, created_at`. A recovery code that is not 32 bytes fails to
/// decode: corrupted rows are refused, not guessed at.
type UserRow = (
    String,
    String,
    Option<String>,
    Vec<String>,
    Option<Vec<u8>>,
    bool,
    Vec<[u8; 32]>,
    i64,
);

fn user_of(row: UserRow) -> User {
    let (id, username, password_hash, roles, totp_secret, totp_confirmed, codes, created_at) = row;
    User {
        id,
        username,
        password_hash,
        roles,
        totp: totp_secret.map(|secret| TotpState {
            secret: Zeroizing::new(secret),
            confirmed: totp_confirmed,
        }),
        recovery_codes: codes.into_iter().map(SecretHash).collect(),
        created_at,
    }
}

fn found(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

#[async_trait]
impl UserStore for PostgresStore {
    async fn create_user(&self, user: NewUser) -> Result<User, StoreError> {
        bounded(async {
            let id = crate::random::token_id()?;
            let created_at = clock();
            let inserted = sqlx::query(
                "INSERT INTO auth_users (id, username, password_hash, roles, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&id)
            .bind(&user.username)
            .bind(&user.password_hash)
            .bind(&user.roles)
            .bind(created_at)
            .execute(&self.pool)
            .await;
            match inserted {
                Ok(_) => Ok(User {
                    id,
                    username: user.username,
                    password_hash: user.password_hash,
                    roles: user.roles,
                    totp: None,
                    recovery_codes: Vec::new(),
                    created_at,
                }),
                Err(error) if violates(&error, "auth_users_username_unique") => {
                    Err(StoreError::UsernameTaken)
                }
                Err(error) => Err(store_error(&error)),
            }
        })
        .await
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
        bounded(async {
            let row: Option<UserRow> = sqlx::query_as(
                "SELECT id, username, password_hash, roles, totp_secret, totp_confirmed, \
                 recovery_codes, created_at FROM auth_users WHERE username = $1",
            )
            .bind(username)
            .fetch_optional(&self.pool)
            .await
            .db()?;
            Ok(row.map(user_of))
        })
        .await
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        bounded(async {
            let row: Option<UserRow> = sqlx::query_as(
                "SELECT id, username, password_hash, roles, totp_secret, totp_confirmed, \
                 recovery_codes, created_at FROM auth_users WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .db()?;
            Ok(row.map(user_of))
        })
        .await
    }

    async fn set_password_hash(&self, id: &str, phc: &str) -> Result<(), StoreError> {
        bounded(async {
            let done = sqlx::query("UPDATE auth_users SET password_hash = $2 WHERE id = $1")
                .bind(id)
                .bind(phc)
                .execute(&self.pool)
                .await
                .db()?;
            found(done.rows_affected())
        })
        .await
    }

    async fn set_totp(&self, id: &str, totp: Option<TotpState>) -> Result<(), StoreError> {
        bounded(async {
            let (secret, confirmed) = match &totp {
                Some(state) => (Some(state.secret.as_slice()), state.confirmed),
                None => (None, false),
            };
            let done = sqlx::query(
                "UPDATE auth_users SET totp_secret = $2, totp_confirmed = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(secret)
            .bind(confirmed)
            .execute(&self.pool)
            .await
            .db()?;
            found(done.rows_affected())
        })
        .await
    }

    async fn set_recovery_codes(&self, id: &str, codes: Vec<SecretHash>) -> Result<(), StoreError> {
        bounded(async {
            let codes: Vec<[u8; 32]> = codes.iter().map(|code| code.0).collect();
            let done = sqlx::query("UPDATE auth_users SET recovery_codes = $2 WHERE id = $1")
                .bind(id)
                .bind(&codes)
                .execute(&self.pool)
                .await
                .db()?;
            found(done.rows_affected())
        })
        .await
    }

    async fn consume_recovery_code(&self, id: &str, code: &SecretHash) -> Result<bool, StoreError> {
        bounded(async {
            // The codes are compared here, in constant time, not by the
            // database: the row lock makes the read-compare-write atomic.
            let mut tx = self.pool.begin().await.db()?;
            let codes: Option<Vec<[u8; 32]>> = sqlx::query_scalar(
                "SELECT recovery_codes FROM auth_users WHERE id = $1 FOR UPDATE",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .db()?;
            let mut codes = codes.unwrap_or_default();
            // Compare against every code, so the time taken does not tell
            // which (or whether one) matched.
            let matched = codes.iter().enumerate().fold(None, |matched, (i, stored)| {
                if SecretHash(*stored).ct_eq(code) {
                    Some(i)
                } else {
                    matched
                }
            });
            if let Some(i) = matched {
                codes.remove(i);
                sqlx::query("UPDATE auth_users SET recovery_codes = $2 WHERE id = $1")
                    .bind(id)
                    .bind(&codes)
                    .execute(&mut *tx)
                    .await
                    .db()?;
            }
            tx.commit().await.db()?;
            Ok(matched.is_some())
        })
        .await
    }
}
