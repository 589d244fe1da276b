//! What the database client's errors become: [`StoreError::Unavailable`],
//! with a message that names the failure but never a value, a query or the URL.

use std::future::Future;
use std::time::Duration;

use sqlx::error::ErrorKind;
use sqlx::migrate::MigrateError;

use crate::store::StoreError;

/// How long one store operation may take, connection included, before it
/// counts as a failure: a database that stopped answering must not hold a
/// request forever.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

fn unavailable(what: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("PostgreSQL: {what}"))
}

/// Maps a client error. The server's own message is left out on purpose:
/// some messages quote the offending value (a username, a code hash), so
/// only the SQLSTATE and the constraint name are kept.
pub(super) fn store_error(error: &sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::PoolTimedOut => unavailable("timed out waiting for a connection"),
        sqlx::Error::PoolClosed => unavailable("the connection pool is closed"),
        sqlx::Error::Io(io) => unavailable(format_args!("connection failed ({})", io.kind())),
        sqlx::Error::Tls(_) => unavailable("TLS handshake failed"),
        sqlx::Error::Configuration(_) => unavailable("invalid connection settings"),
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("without SQLSTATE");
            match db.constraint() {
                Some(constraint) => {
                    unavailable(format_args!("database error {code} on {constraint}"))
                }
                None => unavailable(format_args!("database error {code}")),
            }
        }
        sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed => {
            unavailable("unexpected reply from the server")
        }
        sqlx::Error::ColumnDecode { index, .. } => {
            unavailable(format_args!("unexpected data in column {index}"))
        }
        sqlx::Error::Migrate(migrate) => migration_error(migrate),
        _ => unavailable("database client error"),
    }
}

/// Maps a failed migration run at start.
pub(super) fn migration_error(error: &MigrateError) -> StoreError {
    match error {
        MigrateError::Execute(inner) => store_error(inner),
        MigrateError::ExecuteMigration(inner, version) => match store_error(inner) {
            StoreError::Unavailable(what) => {
                StoreError::Unavailable(format!("migration {version} failed: {what}"))
            }
            other => other,
        },
        // These name migration versions only: safe, and what an operator needs.
        other => unavailable(format_args!("schema migrations: {other}")),
    }
}

/// Whether `error` is a unique violation of `constraint`.
pub(super) fn violates(error: &sqlx::Error, constraint: &str) -> bool {
    error.as_database_error().is_some_and(|db| {
        db.kind() == ErrorKind::UniqueViolation && db.constraint() == Some(constraint)
    })
}

/// Maps the client's errors inside the store: a private conversion, so
/// that `StoreError` does not grow a public `From<sqlx::Error>`.
pub(super) trait Db<T> {
    /// The value, or the error mapped by [`store_error`].
    fn db(self) -> Result<T, StoreError>;
}

impl<T> Db<T> for Result<T, sqlx::Error> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(|error| store_error(&error))
    }
}

/// Runs one store operation under [`OPERATION_TIMEOUT`].
pub(super) async fn bounded<T>(
    op: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(OPERATION_TIMEOUT, op)
        .await
        .unwrap_or_else(|_| Err(unavailable("the operation timed out")))
}

/// A row that does not hold what the schema promises (a hash that is not 32
/// bytes, an unknown revocation kind): corrupted data is refused, not guessed at.
pub(super) fn malformed(what: &str) -> StoreError {
    unavailable(format_args!("malformed {what} in the database"))
}
