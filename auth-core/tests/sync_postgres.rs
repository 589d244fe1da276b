//! Several instances over one PostgreSQL schema: each keeps its own local
//! revocation view and API-key index, fed by `PostgresStore::spawn_sync`
//! (`LISTEN`/`NOTIFY`). A write through one instance reaches the others'
//! views; a new instance loads what is in force at start; while the database
//! is cut off the views go stale, and the sync recovers by itself.
//!
//! The server is found through `DATABASE_URL`; without it these tests are
//! skipped with one printed line, unless `AUTH_TEST_REQUIRE_SERVICES=1`, which
//! makes a missing server a failure. Each test works in its own random
//! schema and drops it at the end.

// Test helpers, outside `#[test]` functions: a failure should panic right there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::io::Write as _;
use std::str::FromStr;
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth_core::store::{
    ApiKey, ApiKeyIndex, ApiKeyStore, ApiKeyView, PostgresStore, Revocation, RevocationStore,
    SecretHash, StateSync, StoreEvent, SyncHandle,
};
use auth_core::{
    Algorithm, KeySet, RevocationList, RevocationQuery, RevocationView, TokenIssuer,
    TokenRejection, TokenRequest,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// Only to keep a broken sync from hanging the run; never reached when it works.
const HANG_GUARD: Duration = Duration::from_secs(5);
/// Reconnecting goes through a backoff of up to 2 s, and the first command
/// on a re-established connection may fail once more: a looser guard.
const RECOVERY_GUARD: Duration = Duration::from_secs(20);
/// What the issue promises: a revocation on one instance is seen by every
/// other within this.
const PROPAGATION_PROMISE: Duration = Duration::from_secs(1);

fn database_url() -> Option<String> {
    if let Some(url) = std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
    {
        return Some(url);
    }
    assert!(
        std::env::var("AUTH_TEST_REQUIRE_SERVICES").as_deref() != Ok("1"),
        "AUTH_TEST_REQUIRE_SERVICES=1 but DATABASE_URL is not set: \
         the PostgreSQL sync tests need a server"
    );
    static SKIP: Once = Once::new();
    SKIP.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "skipping PostgreSQL sync tests: DATABASE_URL is not set"
        );
    });
    None
}

/// Printed past the test harness' capture: the measured delays.
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap()
}

fn fresh_schema() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("auth_sync_{}_{nanos}_{n}", std::process::id())
}

/// Runs `body` with a fresh schema name, then drops the schema, whether
/// `body` passed or panicked.
async fn in_scratch_schema<Fut>(url: &str, body: impl FnOnce(String, String) -> Fut)
where
    Fut: Future<Output = ()> + Send + 'static,
{
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("the PostgreSQL server at DATABASE_URL is unreachable: {e}"));
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

fn random_hash() -> SecretHash {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).unwrap();
    SecretHash::of("sync-test", &secret)
}

fn new_key(owner: &str) -> ApiKey {
    let hash = random_hash();
    ApiKey {
        id: format!("key-{}", &hash.to_hex()[..16]),
        user_id: owner.to_owned(),
        name: "ci".to_owned(),
        hash,
        created_at: now(),
    }
}

/// One app instance: its own pool, views and sync task.
struct Instance {
    store: PostgresStore,
    revocations: RevocationList,
    api_keys: ApiKeyIndex,
    sync: SyncHandle,
}

impl Instance {
    async fn start(url: &str, schema: &str) -> Instance {
        let store = PostgresStore::connect_with_schema(url, schema)
            .await
            .unwrap_or_else(|e| panic!("PostgresStore::connect_with_schema failed: {e}"));
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
    let Some(url) = database_url() else { return };
    in_scratch_schema(&url, |url, schema| async move {
        let a = Instance::start(&url, &schema).await;
        let b = Instance::start(&url, &schema).await;

        let jti = format!("jti-{schema}");
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
            "postgres: revocation written on A in {write:?}, seen on B {delay:?} later"
        ));
        assert!(
            write + delay <= PROPAGATION_PROMISE,
            "a revocation must reach the other instances within 1 s"
        );
        assert!(revoked_jti(&a.revocations, &jti));

        let key = new_key("owner");
        a.store.create_api_key(&key).await.unwrap();
        let created = wait_until("the new key on B", || {
            b.api_keys.api_key(&key.hash).is_some()
        })
        .await;
        assert_eq!(b.api_keys.api_key(&key.hash), Some(key.clone()));
        assert!(
            !a.store
                .revoke_api_key("someone else", &key.id)
                .await
                .unwrap()
        );
        assert!(a.store.revoke_api_key("owner", &key.id).await.unwrap());
        assert!(!a.store.revoke_api_key("owner", &key.id).await.unwrap());
        let deleted = wait_until("the deletion on B", || {
            b.api_keys.api_key(&key.hash).is_none()
        })
        .await;
        report(&format!(
            "postgres: API key creation seen on B after {created:?}, deletion after {deleted:?}"
        ));
        assert!(!b.sync.is_stale(Duration::from_secs(2)));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_of_other_schemas_and_strangers_are_skipped() {
    let Some(url) = database_url() else { return };
    in_scratch_schema(&url, |url, schema| async move {
        let store = PostgresStore::connect_with_schema(&url, &schema)
            .await
            .unwrap();
        let hash = random_hash();
        let created = format!(
            r#"{{"schema":"{schema}","event":"apikey_created","id":"k","user_id":"u","name":"n","hash":"{}","created_at":5}}"#,
            hash.to_hex()
        );
        assert_eq!(
            store.decode_event(&created),
            Some(StoreEvent::ApiKeyCreated(ApiKey {
                id: "k".into(),
                user_id: "u".into(),
                name: "n".into(),
                hash,
                created_at: 5,
            }))
        );
        let revoked = format!(
            r#"{{"schema":"{schema}","event":"apikey_revoked","id":"k","hash":"{}"}}"#,
            hash.to_hex()
        );
        assert_eq!(
            store.decode_event(&revoked),
            Some(StoreEvent::ApiKeyRevoked { id: "k".into(), hash })
        );
        let revocation = format!(
            r#"{{"schema":"{schema}","kind":"session","subject":"s","issued_up_to":null,"expires_at":9}}"#
        );
        assert_eq!(
            store.decode_event(&revocation),
            Some(StoreEvent::Revoked(Revocation::Session {
                sid: "s".into(),
                until: 9
            }))
        );
        assert_eq!(
            store.revocation_from_notice(&created),
            None,
            "an API-key notice is not a revocation"
        );
        for elsewhere in [&created, &revoked, &revocation] {
            let other = elsewhere.replace(&schema, "another_schema");
            assert_eq!(store.decode_event(&other), None, "{other}");
        }
        for junk in ["", "null", "{}", r#"{"event":"apikey_revoked"}"#] {
            assert_eq!(store.decode_event(junk), None, "{junk:?}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_instance_loads_what_is_in_force_at_start() {
    let Some(url) = database_url() else { return };
    in_scratch_schema(&url, |url, schema| async move {
        let writer = PostgresStore::connect_with_schema(&url, &schema)
            .await
            .unwrap();
        let at = now();
        writer
            .revoke(&Revocation::Session {
                sid: "sid-1".into(),
                until: at + 600,
            })
            .await
            .unwrap();
        let kept = new_key("owner");
        let deleted = new_key("owner");
        writer.create_api_key(&kept).await.unwrap();
        writer.create_api_key(&deleted).await.unwrap();
        assert!(writer.revoke_api_key("owner", &deleted.id).await.unwrap());

        let late = Instance::start(&url, &schema).await;
        assert!(late.revocations.is_revoked(&RevocationQuery {
            jti: "any",
            sid: Some("sid-1"),
            sub: "user",
            iat: at,
        }));
        assert_eq!(late.api_keys.api_key(&kept.hash), Some(kept));
        assert_eq!(late.api_keys.api_key(&deleted.hash), None);
        assert_eq!(late.api_keys.len(), 1);
    })
    .await;
}

/// A TCP relay to the database that the test can cut and restore.
struct Relay {
    port: u16,
    target: String,
    task: JoinHandle<()>,
}

impl Relay {
    async fn start(port: u16, target: String) -> Relay {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(relay(listener, target.clone()));
        Relay { port, target, task }
    }

    /// Cuts every connection and stops listening; returns what restarts it.
    async fn stop(self) -> (u16, String) {
        self.task.abort();
        let _ = self.task.await;
        (self.port, self.target)
    }
}

async fn relay(listener: TcpListener, target: String) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            continue;
        };
        let target = target.clone();
        connections.spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(&target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
        while connections.try_join_next().is_some() {}
    }
}

/// `url` with its host and port replaced by `127.0.0.1:port`.
fn via(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let user = authority
        .rsplit_once('@')
        .map(|(user, _)| format!("{user}@"))
        .unwrap_or_default();
    format!("{scheme}://{user}127.0.0.1:{port}{tail}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_views_go_stale_while_the_database_is_cut_off_and_recover_after() {
    let Some(url) = database_url() else { return };
    in_scratch_schema(&url, |url, schema| async move {
        let options = PgConnectOptions::from_str(&url).unwrap();
        let target = format!("{}:{}", options.get_host(), options.get_port());
        let relay = Relay::start(0, target).await;
        let instance = Instance::start(&via(&url, relay.port), &schema).await;
        let max_age = Duration::from_millis(1500);
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
        assert!(verifier.verify(&token).is_ok());

        let (port, target) = relay.stop().await;
        let went_stale = wait_at_most(HANG_GUARD + max_age, "staleness", || {
            instance.sync.is_stale(max_age)
        })
        .await;
        report(&format!(
            "postgres: stale {went_stale:?} after the connection was cut (max age {max_age:?})"
        ));
        assert_eq!(
            verifier.verify(&token).err(),
            Some(TokenRejection::RevocationsStale)
        );

        let _relay = Relay::start(port, target).await;
        let recovered = wait_at_most(RECOVERY_GUARD, "recovery", || {
            !instance.sync.is_stale(max_age)
        })
        .await;
        report(&format!(
            "postgres: fresh again {recovered:?} after the connection came back"
        ));
        let claims = verifier.verify(&token).unwrap();
        // A revocation written by another instance, straight to the
        // database, reaches the recovered sync.
        let other = PostgresStore::connect_with_schema(&url, &schema)
            .await
            .unwrap();
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
    })
    .await;
}
