//! The PostgreSQL side of the store and sync tests: every test works in a
//! schema of its own, dropped at the end whether the test passed or not, so
//! that tests can run at once on one server and leave nothing behind.

use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::store::PostgresStore;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

/// A pool for what the tests do beside the store: dropping schemas,
/// counting and inserting rows.
pub(crate) async fn admin_pool(url: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("the PostgreSQL server at DATABASE_URL is unreachable: {e}"))
}

/// A schema name no other test (or earlier run) uses.
fn fresh_schema() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("auth_test_{}_{nanos}_{n}", std::process::id())
}

/// A store on `url` in `schema` (created and migrated if need be), with its
/// own pool, as an app instance would have.
pub(crate) async fn open(url: &str, schema: &str) -> PostgresStore {
    PostgresStore::connect_with_schema(url, schema)
        .await
        .unwrap_or_else(|e| panic!("PostgresStore::connect_with_schema failed: {e}"))
}

/// Runs `body` with `url` and a fresh schema name, then drops the schema,
/// whether `body` passed or panicked (its panic is then resumed).
pub(crate) async fn in_scratch_schema<Fut>(url: &str, body: impl FnOnce(String, String) -> Fut)
where
    Fut: Future<Output = ()> + Send + 'static,
{
    let admin = admin_pool(url).await;
    let schema = fresh_schema();
    let outcome = tokio::spawn(body(url.to_owned(), schema.clone())).await;
    sqlx::query(&format!(r#"DROP SCHEMA IF EXISTS "{schema}" CASCADE"#))
        .execute(&admin)
        .await
        .unwrap();
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("the test task did not finish: {error}"),
        }
    }
}

/// `host:port` of the server of `url`, as sqlx reads it (defaults
/// included): the target of a [`Relay`](super::relay::Relay).
pub(crate) fn server_address(url: &str) -> String {
    let options = PgConnectOptions::from_str(url).unwrap();
    format!("{}:{}", options.get_host(), options.get_port())
}
