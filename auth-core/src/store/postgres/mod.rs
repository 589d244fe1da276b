//! The PostgreSQL store: durable, and shared by every instance that connects
//! to the same database and schema.
//!
//! Every trait method is one statement or one transaction, so the atomicity
//! the traits promise comes from the database, not from this process:
//! conditional `INSERT … ON CONFLICT` and `DELETE … RETURNING` where one
//! statement decides, and row locks (`SELECT … FOR UPDATE`) where the decision
//! needs a comparison in Rust (constant-time code checks) or several writes
//! (refresh rotation). Transactions that lock both a session and its tokens
//! always lock the session first, as the cascade of a session's deletion does,
//! so they cannot deadlock on each other.
//!
//! Moments are the `now` arguments of the trait methods where there is one,
//! and this process's clock where there is none, as in
//! [`MemoryStore`](super::MemoryStore): instances must keep their clocks in step.

mod api_keys;
mod cleanup;
mod errors;
mod events;
mod one_time;
mod passkeys;
mod revocations;
mod sessions;
mod sync;
mod throttle;
mod users;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::store::StoreError;
use errors::{Db, migration_error, store_error};

/// The tables, created or brought up to date by [`PostgresStore::connect`].
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a request waits for a connection. Short, so that while the
/// database is down requests fail fast (HTTP 503) instead of piling up.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Connections per instance.
const MAX_CONNECTIONS: u32 = 10;

/// A [`Store`](super::Store) in PostgreSQL: users, sessions and their
/// refresh-token families, revocations, throttling windows, single-use marks
/// and codes, and API keys, kept across restarts and shared by every instance
/// connected to the same database and schema.
///
/// Cloning shares the connection pool. Expired rows stay until
/// [`purge_expired`](Self::purge_expired) removes them; run
/// [`spawn_cleanup`](Self::spawn_cleanup) on at least one instance.
///
/// ```no_run
/// use auth_core::store::{NewUser, PostgresStore, UserStore};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let store = PostgresStore::connect("postgres://auth@db.internal/app").await?;
/// let _cleanup = store.spawn_cleanup(std::time::Duration::from_secs(60));
/// store
///     .create_user(NewUser { username: "ada".into(), password_hash: None, roles: vec![] })
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// The schema the tables live in, as the server named it.
    schema: Arc<str>,
}

impl PostgresStore {
    /// The channel on which [`revoke`](super::RevocationStore::revoke), and
    /// the creation and deletion of API keys, notify (`pg_notify`) every
    /// listening instance, in the same statement as the write. Decode a
    /// payload with [`decode_event`](Self::decode_event) (or, for revocations
    /// only, [`revocation_from_notice`](Self::revocation_from_notice));
    /// [`spawn_sync`](super::StateSync::spawn_sync) does all of it.
    pub const REVOCATION_CHANNEL: &'static str = "auth_revocations";

    /// The schema [`connect`](Self::connect) uses: a schema of its own, so
    /// that neither its tables nor its migration history (`_sqlx_migrations`)
    /// meet the application's.
    pub const DEFAULT_SCHEMA: &'static str = "auth";

    /// Connects to the database at `url` (`postgres://user:password@host/db`)
    /// and creates or updates the tables, in the schema [`DEFAULT_SCHEMA`](Self::DEFAULT_SCHEMA),
    /// with a pool of its own (10 connections, 2 s to get one).
    ///
    /// Several instances may start at once: the migrations run under an
    /// advisory lock. Fails with [`StoreError::Unavailable`] when the database
    /// cannot be reached within a few seconds or refuses the migrations; the
    /// message never contains the URL.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with_schema(url, Self::DEFAULT_SCHEMA).await
    }

    /// As [`connect`](Self::connect), with the tables in `schema`, created if
    /// missing: for several independent stores in one database (tenants,
    /// tests). `schema` must be 1 to 63 lower-case ASCII letters, digits and
    /// underscores, not starting with a digit.
    pub async fn connect_with_schema(url: &str, schema: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(Self::connect_options(url, schema)?)
            .await
            .db()?;
        Self::from_pool(pool).await
    }

    /// The connection options of `url` with every connection working in
    /// `schema` (its `search_path`): build a pool of your own with them (its
    /// size, its timeouts) and hand it to [`from_pool`](Self::from_pool).
    ///
    /// ```no_run
    /// use auth_core::store::PostgresStore;
    /// use sqlx::postgres::PgPoolOptions;
    ///
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let options = PostgresStore::connect_options("postgres://auth@db.internal/app", "auth")?;
    /// let pool = PgPoolOptions::new().max_connections(40).connect_with(options).await?;
    /// let store = PostgresStore::from_pool(pool).await?;
    /// # Ok(()) }
    /// ```
    pub fn connect_options(url: &str, schema: &str) -> Result<PgConnectOptions, StoreError> {
        if !is_plain_identifier(schema) {
            return Err(StoreError::Unavailable(
                "PostgreSQL: the schema name must be 1 to 63 of a-z, 0-9 and _, not starting with a digit"
                    .to_owned(),
            ));
        }
        let options = PgConnectOptions::from_str(url).map_err(|_| {
            StoreError::Unavailable("PostgreSQL: the URL is not a PostgreSQL URL".to_owned())
        })?;
        // Set at connection start-up, so every pooled connection (the
        // migrator's too) sees only this schema's tables. The schema need not
        // exist yet: `from_pool` creates it before anything uses it.
        Ok(options.options([("search_path", schema)]))
    }

    /// A store over an existing pool, whose connections must work in a
    /// schema of the store's own (see [`connect_options`](Self::connect_options)):
    /// the tables and their migration history live there, apart from the
    /// application's. Creates the schema if missing and brings the tables up
    /// to date; refuses a pool working in `public`, where the migration
    /// history would meet the application's own.
    pub async fn from_pool(pool: PgPool) -> Result<Self, StoreError> {
        let wanted: String =
            sqlx::query_scalar("SELECT split_part(current_setting('search_path'), ',', 1)")
                .fetch_one(&pool)
                .await
                .db()?;
        let wanted = wanted.trim().trim_matches('"').to_owned();
        if !is_plain_identifier(&wanted) || wanted == "public" {
            return Err(StoreError::Unavailable(
                "PostgreSQL: the pool's connections must use a schema of the store's own \
                 (PostgresStore::connect_options)"
                    .to_owned(),
            ));
        }
        create_schema(&pool, &wanted).await?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|error| migration_error(&error))?;
        let current: Option<String> = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&pool)
            .await
            .db()?;
        let schema = current.ok_or_else(|| {
            StoreError::Unavailable("PostgreSQL: the schema is not usable".to_owned())
        })?;
        Ok(Self {
            pool,
            schema: schema.into(),
        })
    }

    /// The schema holding the tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Closes the connections; every later operation fails with
    /// [`StoreError::Unavailable`]. Clones share the pool, so this closes theirs too.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates `schema` unless it exists. Checked first, because `CREATE SCHEMA IF
/// NOT EXISTS` needs the right to create schemas even when there is nothing
/// to create, and an operator may have created it for a less privileged user.
async fn create_schema(pool: &PgPool, schema: &str) -> Result<(), StoreError> {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
            .bind(schema)
            .fetch_one(pool)
            .await
            .db()?;
    if exists {
        return Ok(());
    }
    // `schema` is a plain identifier (checked by the caller), so quoting it
    // is enough; a name cannot be a bind parameter.
    let created = sqlx::query(&format!(r#"CREATE SCHEMA IF NOT EXISTS "{schema}""#))
        .execute(pool)
        .await;
    match created {
        Ok(_) => Ok(()),
        // Another instance created it between the check and here: what we wanted.
        Err(error) if is_concurrent_creation(&error) => Ok(()),
        Err(error) => Err(store_error(&error)),
    }
}

/// `CREATE SCHEMA IF NOT EXISTS` run by two sessions at once: the loser hits
/// the catalog's unique index (23505) or, rarely, a duplicate schema (42P06).
fn is_concurrent_creation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|db| db.code())
        .is_some_and(|code| code == "23505" || code == "42P06")
}

/// 1 to 63 of `[a-z0-9_]`, not starting with a digit: a name PostgreSQL
/// keeps as written, safe to put between double quotes.
fn is_plain_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_');
    first_ok
        && name.len() <= 63
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The pool's options hold the URL, and so the password: left out.
        f.debug_struct("PostgresStore")
            .field("schema", &self.schema)
            .field("connections", &self.pool.size())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::is_plain_identifier;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for good in ["auth", "_x", "tenant_42", &"a".repeat(63)] {
            assert!(is_plain_identifier(good), "{good:?} must be accepted");
        }
        for bad in [
            "",
            "1abc",
            "Auth",
            "a-b",
            "a\"b",
            "a;drop",
            "é",
            &"a".repeat(64),
        ] {
            assert!(!is_plain_identifier(bad), "{bad:?} must be refused");
        }
    }
}
