//! Helpers shared by the tests of the shared stores and of their sync
//! (`store_redis`, `store_postgres`, `sync_redis`, `sync_postgres`): finding
//! the service to test against (or skipping, or failing when
//! `AUTH_TEST_REQUIRE_SERVICES=1`), the clock, free ports, and the submodules
//! for each service. One copy, so that every one of those tests skips, fails
//! and cleans up the same way.
//!
//! The submodules that need the `redis` or `sqlx` crates (or what sqlx turns
//! on in Tokio) are compiled only with the feature that brings them in, so
//! any test binary can declare `mod services;` whatever its
//! `required-features`.

// Each test binary uses its own subset of these helpers; outside `#[test]`
// functions, a failure should panic right there.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "redis")]
pub(crate) mod own_redis;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
#[cfg(feature = "redis")]
pub(crate) mod redis_prefix;
// `tokio::io::copy_bidirectional` needs Tokio's `io-util`, which auth-core
// gets through sqlx; the relay is for the PostgreSQL tests anyway.
#[cfg(feature = "postgres")]
pub(crate) mod relay;
pub(crate) mod sync;

use std::io::Write as _;
use std::sync::Once;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::StoreError;

/// Whether a missing service must fail the tests rather than skip them
/// (`AUTH_TEST_REQUIRE_SERVICES=1`, as in CI, where a skip would hide that
/// nothing was tested).
pub(crate) fn services_required() -> bool {
    std::env::var("AUTH_TEST_REQUIRE_SERVICES").as_deref() == Ok("1")
}

/// Prints `line` on stderr past the test harness' capture (which swallows
/// `eprintln!`), so that it shows without `--nocapture`: skips, and the
/// delays the sync tests measure.
pub(crate) fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// [`report`]s `line` once per test run, however many tests skip for the
/// same reason.
pub(crate) fn say_once(once: &'static Once, line: &str) {
    once.call_once(|| report(line));
}

/// The URL in the environment variable `var`, or `None` (skip) after one
/// line saying `tests` are skipped; a missing URL panics instead when
/// [`services_required`].
fn service_url(var: &str, tests: &str, skip: &'static Once) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if services_required() => {
            panic!("{var} is not set, and AUTH_TEST_REQUIRE_SERVICES=1 requires the {tests}")
        }
        _ => {
            say_once(skip, &format!("skipping {tests}: {var} is not set"));
            None
        }
    }
}

/// `DATABASE_URL`: the PostgreSQL server for `tests` (e.g. "PostgreSQL store
/// tests"), or `None` when they are skipped.
pub(crate) fn database_url(tests: &str) -> Option<String> {
    static SKIP: Once = Once::new();
    service_url("DATABASE_URL", tests, &SKIP)
}

/// `REDIS_URL`: the Redis for `tests` (e.g. "Redis store tests"), or `None`
/// when they are skipped.
pub(crate) fn redis_url(tests: &str) -> Option<String> {
    static SKIP: Once = Once::new();
    service_url("REDIS_URL", tests, &SKIP)
}

/// Seconds since the epoch, as the stores' callers pass them.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap()
}

/// 24 random hex digits: names (prefixes, ids) no other test or run uses.
pub(crate) fn random_hex() -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A port of 127.0.0.1 nothing listens on (free a moment ago): for a server
/// the test starts itself, or for a connection that must be refused.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Asserts that `result`, of `what` during an outage, is
/// `StoreUnavailable`: a store that cannot reach its server says so, it does
/// not answer wrongly or fail otherwise.
#[track_caller]
pub(crate) fn assert_unavailable<T: std::fmt::Debug>(what: &str, result: Result<T, StoreError>) {
    match result {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("{what} while the store is down must be StoreUnavailable, got {other:?}"),
    }
}

/// The first refresh token of family `sid` as the flows would present it:
/// generation 0, hashing to `hash`, valid until `expires_at`.
pub(crate) fn first_token(
    sid: &str,
    hash: auth_core::store::SecretHash,
    expires_at: i64,
) -> auth_core::store::PresentedRefresh {
    auth_core::store::PresentedRefresh {
        sid: sid.to_owned(),
        generation: 0,
        expires_at,
        hash,
    }
}

/// The successor of `presented`, hashing to `hash`.
pub(crate) fn successor(
    presented: &auth_core::store::PresentedRefresh,
    hash: auth_core::store::SecretHash,
) -> auth_core::store::NextRefresh {
    auth_core::store::NextRefresh {
        generation: presented.generation + 1,
        hash,
        sealed: hash.0.to_vec(),
    }
}
