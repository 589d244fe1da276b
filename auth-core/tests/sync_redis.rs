//! Several instances over one Redis: each keeps its own local revocation
//! view and API-key index, fed by `RedisStore::spawn_sync`. A write through
//! one instance reaches the others' views; a new instance loads what is in
//! force at start; while Redis is down the views go stale (and a verifier
//! with a maximum staleness refuses tokens), and the sync recovers by itself.
//!
//! Redis is found through `REDIS_URL`; without it these tests are skipped
//! (one line says so), unless `AUTH_TEST_REQUIRE_SERVICES=1`, which makes a
//! missing Redis a failure. The outage test starts `redis-server` itself.

// Test helpers, outside `#[test]` functions: a failure should panic right there.
#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use auth_core::store::{
    ApiKey, ApiKeyIndex, ApiKeyStore, ApiKeyView, RedisStore, Revocation, RevocationStore,
    SecretHash, StateSync, SyncHandle,
};
use auth_core::{
    Algorithm, KeySet, RevocationList, RevocationQuery, RevocationView, TokenIssuer,
    TokenRejection, TokenRequest,
};

/// Only to keep a broken sync from hanging the run; never reached when it works.
const HANG_GUARD: Duration = Duration::from_secs(5);
/// Reconnecting goes through a backoff of up to 2 s, and the first command
/// on a re-established connection may fail once more: a looser guard.
const RECOVERY_GUARD: Duration = Duration::from_secs(20);
/// What the issue promises: a revocation on one instance is seen by every
/// other within this.
const PROPAGATION_PROMISE: Duration = Duration::from_secs(1);

fn services_required() -> bool {
    std::env::var("AUTH_TEST_REQUIRE_SERVICES").as_deref() == Ok("1")
}

fn say_once(once: &'static Once, line: &str) {
    once.call_once(|| {
        let _ = writeln!(std::io::stderr(), "{line}");
    });
}

/// Printed past the test harness' capture: the measured delays.
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn redis_url() -> Option<String> {
    static SKIP: Once = Once::new();
    match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if services_required() => {
            panic!(
                "REDIS_URL is not set, and AUTH_TEST_REQUIRE_SERVICES=1 requires the Redis sync tests"
            )
        }
        _ => {
            say_once(&SKIP, "skipping Redis sync tests: REDIS_URL is not set");
            None
        }
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap()
}

fn new_key(owner: &str) -> ApiKey {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).unwrap();
    ApiKey {
        id: format!("key-{}", random_hex()),
        user_id: owner.to_owned(),
        name: "ci".to_owned(),
        hash: SecretHash::of("sync-test", &secret),
        created_at: now(),
    }
}

/// Deletes the keys under a prefix when dropped (API keys never expire).
struct Cleanup {
    url: String,
    prefix: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Ok(mut connection) =
            redis::Client::open(self.url.as_str()).and_then(|client| client.get_connection())
        else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query(&mut connection)
            .unwrap_or_default();
        for key in keys {
            let _: redis::RedisResult<i64> = redis::cmd("DEL").arg(key).query(&mut connection);
        }
    }
}

/// One app instance: its own connection, views and sync task.
struct Instance {
    store: RedisStore,
    revocations: RevocationList,
    api_keys: ApiKeyIndex,
    sync: SyncHandle,
}

impl Instance {
    async fn start(url: &str, prefix: &str) -> Instance {
        let store = RedisStore::connect(url)
            .await
            .unwrap_or_else(|error| panic!("Redis at {url} is unreachable: {error}"))
            .with_prefix(prefix);
        let revocations = RevocationList::new();
        let api_keys = ApiKeyIndex::new();
        let sync = store.spawn_sync(revocations.clone(), api_keys.clone());
        let instance = Instance {
            store,
            revocations,
            api_keys,
            sync,
        };
        wait_at_most(RECOVERY_GUARD, "the first load", || {
            instance.sync.last_synced().is_some()
        })
        .await;
        instance
    }
}

/// Polls `done` every 20 ms until it holds; returns how long that took.
/// Panics after [`HANG_GUARD`] (or `guard`), naming `what`.
async fn wait_until(what: &str, done: impl Fn() -> bool) -> Duration {
    wait_at_most(HANG_GUARD, what, done).await
}

async fn wait_at_most(guard: Duration, what: &str, done: impl Fn() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < guard, "{what} never happened");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

fn revoked_jti(view: &RevocationList, jti: &str) -> bool {
    view.is_revoked(&RevocationQuery {
        jti,
        sid: None,
        sub: "nobody",
        iat: 0,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_on_one_instance_reach_the_others_views() {
    let Some(url) = redis_url() else { return };
    let cleanup = Cleanup {
        prefix: format!("auth-sync-test-{}:", random_hex()),
        url: url.clone(),
    };
    let a = Instance::start(&url, &cleanup.prefix).await;
    let b = Instance::start(&url, &cleanup.prefix).await;

    let jti = format!("jti-{}", random_hex());
    let written = Instant::now();
    a.store
        .revoke(&Revocation::Token {
            jti: jti.clone(),
            expires_at: now() + 600,
        })
        .await
        .unwrap();
    let write = written.elapsed();
    let delay = wait_until("the revocation on B", || revoked_jti(&b.revocations, &jti)).await;
    report(&format!(
        "redis: revocation written on A in {write:?}, seen on B {delay:?} later"
    ));
    assert!(
        write + delay <= PROPAGATION_PROMISE,
        "a revocation must reach the other instances within 1 s"
    );
    assert!(
        revoked_jti(&a.revocations, &jti),
        "the writing instance hears its own announcement too"
    );

    let owner = format!("owner-{}", random_hex());
    let key = new_key(&owner);
    a.store.create_api_key(&key).await.unwrap();
    let created = wait_until("the new key on B", || {
        b.api_keys.api_key(&key.hash).is_some()
    })
    .await;
    assert_eq!(b.api_keys.api_key(&key.hash), Some(key.clone()));
    assert!(a.store.revoke_api_key(&owner, &key.id).await.unwrap());
    let deleted = wait_until("the deletion on B", || {
        b.api_keys.api_key(&key.hash).is_none()
    })
    .await;
    wait_until("the deletion on A", || {
        a.api_keys.api_key(&key.hash).is_none()
    })
    .await;
    report(&format!(
        "redis: API key creation seen on B after {created:?}, deletion after {deleted:?}"
    ));
    assert!(!b.sync.is_stale(Duration::from_secs(2)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_instance_loads_what_is_in_force_at_start() {
    let Some(url) = redis_url() else { return };
    let cleanup = Cleanup {
        prefix: format!("auth-sync-test-{}:", random_hex()),
        url: url.clone(),
    };
    let writer = RedisStore::connect(&url)
        .await
        .unwrap()
        .with_prefix(&cleanup.prefix);
    let at = now();
    let jti = format!("jti-{}", random_hex());
    writer
        .revoke(&Revocation::Token {
            jti: jti.clone(),
            expires_at: at + 600,
        })
        .await
        .unwrap();
    writer
        .revoke(&Revocation::User {
            sub: "user-1".into(),
            issued_up_to: at,
            until: at + 600,
        })
        .await
        .unwrap();
    let kept = new_key("owner");
    let deleted = new_key("owner");
    writer.create_api_key(&kept).await.unwrap();
    writer.create_api_key(&deleted).await.unwrap();
    assert!(writer.revoke_api_key("owner", &deleted.id).await.unwrap());

    let late = Instance::start(&url, &cleanup.prefix).await;
    assert!(revoked_jti(&late.revocations, &jti));
    assert!(late.revocations.is_revoked(&RevocationQuery {
        jti: "another",
        sid: None,
        sub: "user-1",
        iat: at,
    }));
    assert_eq!(late.api_keys.api_key(&kept.hash), Some(kept));
    assert_eq!(late.api_keys.api_key(&deleted.hash), None);
    assert_eq!(late.api_keys.len(), 1);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `redis-server` of the test's own, killed when dropped.
struct OwnRedis {
    port: u16,
    child: Child,
}

impl OwnRedis {
    async fn start(port: u16) -> Option<Self> {
        static SKIP: Once = Once::new();
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(error) if services_required() => {
                panic!("AUTH_TEST_REQUIRE_SERVICES=1 and redis-server cannot be started: {error}")
            }
            Err(_) => {
                say_once(
                    &SKIP,
                    "skipping the Redis outage test: redis-server is not installed",
                );
                return None;
            }
        };
        let server = Self { port, child };
        for _ in 0..200 {
            let pong = redis::Client::open(server.url().as_str())
                .and_then(|client| client.get_connection_with_timeout(Duration::from_millis(200)))
                .and_then(|mut connection| redis::cmd("PING").query::<String>(&mut connection));
            if pong.is_ok() {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server on port {port} did not start");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_views_go_stale_while_redis_is_down_and_recover_after() {
    if redis_url().is_none() {
        return;
    }
    let port = free_port();
    let Some(server) = OwnRedis::start(port).await else {
        return;
    };
    let max_age = Duration::from_millis(1500);
    let instance = Instance::start(&server.url(), "auth:").await;
    let issuer = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://id",
        "api",
    )
    .revocation_list(instance.revocations.clone());
    let verifier = issuer.verifier().max_revocation_staleness(max_age);
    let token = issuer
        .issue(&TokenRequest::new("user-1"))
        .unwrap()
        .access_token;
    assert!(!instance.sync.is_stale(max_age));
    assert!(verifier.verify(&token).is_ok());

    drop(server);
    let went_stale = wait_at_most(HANG_GUARD + max_age, "staleness", || {
        instance.sync.is_stale(max_age)
    })
    .await;
    report(&format!(
        "redis: stale {went_stale:?} after the server was killed (max age {max_age:?})"
    ));
    assert_eq!(
        verifier.verify(&token).err(),
        Some(TokenRejection::RevocationsStale),
        "a verifier with a maximum staleness must refuse tokens from a stale view"
    );
    assert!(
        issuer.verifier().verify(&token).is_ok(),
        "without a maximum, the stale view is trusted"
    );

    // Same port, empty data: the sync reconnects and loads by itself.
    let Some(server) = OwnRedis::start(port).await else {
        return;
    };
    let recovered = wait_at_most(RECOVERY_GUARD, "recovery", || {
        !instance.sync.is_stale(max_age)
    })
    .await;
    report(&format!(
        "redis: fresh again {recovered:?} after the server restarted"
    ));
    assert!(verifier.verify(&token).is_ok());

    // And it follows the channel again.
    let claims = verifier.verify(&token).unwrap();
    let other = RedisStore::connect(&server.url()).await.unwrap();
    other
        .revoke(&Revocation::Token {
            jti: claims.jti.clone(),
            expires_at: claims.exp,
        })
        .await
        .unwrap();
    wait_until("the revocation after recovery", || {
        verifier.verify(&token).err() == Some(TokenRejection::Revoked)
    })
    .await;
}
