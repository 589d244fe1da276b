//! The store conformance suite against [`RedisStore`], and what only the Redis
//! store promises: every key expires except the permanent records, bad data
//! and outages are `StoreUnavailable` (never a panic or a hang), the store
//! recovers by itself when Redis comes back, and revocations are published.
//!
//! Redis is found through `REDIS_URL`; without it these tests are skipped
//! (one line says so), unless `AUTH_TEST_REQUIRE_SERVICES=1`, which makes a
//! missing or unreachable Redis a failure. The outage tests also start
//! `redis-server` themselves, on a free port.

// Test helpers, outside `#[test]` functions: a failure should panic right there.
#![allow(clippy::unwrap_used)]

mod services;

use std::collections::BTreeMap;
use std::time::Duration;

use auth_core::StoreError;
use auth_core::flow::ClientInfo;
use auth_core::store::conformance::{self, StoreFactory};
use auth_core::store::{
    ApiKey, ApiKeyStore, NewUser, OneTimeStore, PresentedRefresh, RedisStore, Revocation,
    RevocationStore, Rotation, SecretHash, Session, SessionStore, ThrottleStore, UserStore,
    decode_revocation_message,
};
use redis::AsyncCommands as _;
use services::own_redis::OwnRedis;
use services::redis_prefix::{Cleanup, connect, unique_prefix};
use services::{assert_unavailable, first_token, free_port, now, successor};

/// `REDIS_URL`, or `None` (after one line on stderr) when it is not set and
/// the services are not required.
fn redis_url() -> Option<String> {
    services::redis_url("Redis store tests")
}

fn hash(label: &str) -> SecretHash {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    SecretHash::of(label, &bytes)
}

/// A plain connection for inspecting and tampering with what the store wrote.
async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Every key under `prefix` (KEYS is fine on a test server).
async fn keys_under(
    connection: &mut redis::aio::MultiplexedConnection,
    prefix: &str,
) -> Vec<String> {
    connection.keys(format!("{prefix}*")).await.unwrap()
}

/// Makes stores on the `REDIS_URL` Redis, each under its own prefix.
struct Redis {
    url: String,
    cleanup: Cleanup,
}

impl StoreFactory for Redis {
    type Store = RedisStore;

    async fn create(&self) -> RedisStore {
        let prefix = self.cleanup.add(unique_prefix());
        connect(&self.url, &prefix).await
    }

    async fn second_instance(&self, store: &RedisStore) -> RedisStore {
        // Its own connection, as a second app instance would have.
        connect(&self.url, store.prefix()).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_store_passes_the_conformance_suite() {
    let Some(url) = redis_url() else { return };
    let factory = Redis {
        cleanup: Cleanup::new(&url),
        url,
    };
    conformance::run_all(&factory).await;
}

#[tokio::test]
async fn every_key_expires_when_it_stops_mattering_except_permanent_records() {
    let Some(url) = redis_url() else { return };
    let cleanup = Cleanup::new(&url);
    let prefix = cleanup.add(unique_prefix());
    let store = connect(&url, &prefix).await;
    let at = now();

    let new_user = NewUser {
        username: "ada".into(),
        password_hash: None,
        roles: vec!["admin".into()],
    };
    let user = store.create_user(new_user).await.unwrap();
    let codes = vec![hash("rc"), hash("rc")];
    store.set_recovery_codes(&user.id, codes).await.unwrap();
    let session = Session {
        sid: "sid-1".into(),
        user_id: user.id.clone(),
        amr: vec!["pwd".into()],
        auth_time: at,
        created_at: at,
        last_used_at: at,
        ip: None,
        user_agent: None,
    };
    let (first, second) = (hash("refresh"), hash("refresh"));
    store
        .create_session(&session, &first, at + 600)
        .await
        .unwrap();
    let presented = first_token("sid-1", first, at + 600);
    let rotation = store
        .rotate_refresh(
            &presented,
            &successor(&presented, second),
            at,
            at + 900,
            10,
            &ClientInfo::unknown(),
        )
        .await;
    assert_eq!(rotation.unwrap(), Rotation::Rotated(session.clone()));
    let jti = "jti-1".to_owned();
    store
        .revoke(&Revocation::Token {
            jti,
            expires_at: at + 300,
        })
        .await
        .unwrap();
    store.record_failure("ip-1", at, 60).await.unwrap();
    store.use_once("totp-1", at + 90).await.unwrap();
    store
        .put_code("email-1", &hash("code"), at + 120)
        .await
        .unwrap();
    let key = ApiKey {
        id: "key-1".into(),
        user_id: user.id.clone(),
        name: "ci".into(),
        hash: hash("api"),
        created_at: at,
    };
    store.create_api_key(&key, 100).await.unwrap();

    let mut connection = raw(&url).await;
    let mut found = BTreeMap::new();
    for key in keys_under(&mut connection, &prefix).await {
        let expires: i64 = redis::cmd("EXPIRETIME")
            .arg(&key)
            .query_async(&mut connection)
            .await
            .unwrap();
        found.insert(key.strip_prefix(&prefix).unwrap().to_owned(), expires);
    }
    // EXPIRETIME: the moment the key goes; -1: never.
    let expected: BTreeMap<String, i64> = [
        // Permanent records: accounts and API keys.
        (format!("user:{}", user.id), -1),
        ("username:ada".to_owned(), -1),
        (format!("recovery:{}", user.id), -1),
        (format!("apikey:{}", key.hash.to_hex()), -1),
        ("apikey_id:key-1".to_owned(), -1),
        ("apikeys".to_owned(), -1),
        (format!("apikeys_user:{}", user.id), -1),
        // The session (its refresh family inside) and the user's index with
        // the newest token; no key per token.
        ("session:sid-1".to_owned(), at + 900),
        (format!("user_sessions:{}", user.id), at + 900),
        // In force, or holding, through their expiry: gone the second after.
        ("revocation:t:jti-1".to_owned(), at + 301),
        ("revocations:by_expiry".to_owned(), at + 301),
        ("once:totp-1".to_owned(), at + 91),
        // Usable while `now < expires_at`.
        ("throttle:ip-1".to_owned(), at + 60),
        ("code:email-1".to_owned(), at + 120),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        found, expected,
        "every key must expire when it stops mattering"
    );
}

#[tokio::test]
async fn malformed_records_are_store_unavailable_not_panics() {
    let Some(url) = redis_url() else { return };
    let cleanup = Cleanup::new(&url);
    let prefix = cleanup.add(unique_prefix());
    let store = connect(&url, &prefix).await;
    let mut connection = raw(&url).await;

    let _: () = redis::pipe()
        .hset_multiple(
            format!("{prefix}user:bad"),
            &[("username", "x"), ("roles", "not json"), ("created", "1")],
        )
        .set(format!("{prefix}session:wrong-type"), "a string")
        .hset_multiple(
            format!("{prefix}throttle:bad"),
            &[("count", "many"), ("ends", "later")],
        )
        .hset_multiple(
            format!("{prefix}session:bad-family"),
            &[
                ("user", "u"),
                ("amr", "not json"),
                ("exp", "99999999999"),
                ("gen", "0"),
                ("cur", "x"),
            ],
        )
        .query_async(&mut connection)
        .await
        .unwrap();

    let results = [
        store.user_by_id("bad").await.map(|_| ()),
        store.revoke_session("wrong-type").await.map(|_| ()),
        store.failures("bad", now()).await.map(|_| ()),
        {
            let presented = first_token("wrong-type", hash("refresh"), now() + 60);
            let next = successor(&presented, hash("refresh"));
            store
                .rotate_refresh(
                    &presented,
                    &next,
                    now(),
                    now() + 60,
                    10,
                    &ClientInfo::unknown(),
                )
                .await
                .map(|_| ())
        },
        store.session("bad-family").await.map(|_| ()),
    ];
    for result in results {
        match result {
            Err(StoreError::Unavailable(message)) => {
                assert!(
                    !message.contains(&prefix) && !message.contains("wrong-type"),
                    "an error must not quote keys or values: {message}"
                );
            }
            other => panic!("malformed data must be StoreUnavailable, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_are_published_merged_with_earlier_ones() {
    let Some(url) = redis_url() else { return };
    let cleanup = Cleanup::new(&url);
    let store = connect(&url, &cleanup.add(unique_prefix())).await;
    let channel = store.revocation_channel();
    assert_eq!(channel, format!("{}revocations", store.prefix()));

    // The blocking client's pub/sub needs no stream adapter.
    let mut subscriber = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let listener = tokio::task::spawn_blocking(move || {
        let mut pubsub = subscriber.as_pubsub();
        pubsub.subscribe(&channel).unwrap();
        pubsub
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        ready_tx.send(()).unwrap();
        let mut payloads = Vec::new();
        for _ in 0..3 {
            let message = pubsub.get_message().unwrap();
            payloads.push(message.get_payload_bytes().to_vec());
        }
        payloads
    });
    ready_rx.await.unwrap();

    let at = now();
    let user = Revocation::User {
        sub: "user-1".into(),
        issued_up_to: at,
        until: at + 900,
    };
    store.revoke(&user).await.unwrap();
    // An earlier cut-off and expiry do not shorten what is in force.
    store
        .revoke(&Revocation::User {
            sub: "user-1".into(),
            issued_up_to: at - 100,
            until: at + 10,
        })
        .await
        .unwrap();
    let session = Revocation::Session {
        sid: "sid-1".into(),
        until: at + 60,
    };
    store.revoke(&session).await.unwrap();

    let payloads = listener.await.unwrap();
    let received: Vec<Revocation> = payloads
        .iter()
        .map(|payload| decode_revocation_message(payload).unwrap())
        .collect();
    assert_eq!(received, [user.clone(), user.clone(), session.clone()]);
    let active = store.active_revocations(at).await.unwrap();
    assert_eq!(active.len(), 2, "one record per subject: {active:?}");
    assert!(active.contains(&user) && active.contains(&session));

    assert!(matches!(
        decode_revocation_message(b"{\"kind\":\"x\"}"),
        Err(StoreError::Unavailable(_))
    ));
}

/// Fails the test if `operation` hangs: the store must answer, not wait forever.
async fn answers<T>(what: &str, operation: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(30), operation).await {
        Ok(value) => value,
        Err(_) => panic!("{what} hung instead of answering"),
    }
}

#[tokio::test]
async fn a_closed_port_is_store_unavailable() {
    if redis_url().is_none() {
        return;
    }
    let url = format!("redis://127.0.0.1:{}", free_port());
    match answers("connecting to a closed port", RedisStore::connect(&url)).await {
        Err(StoreError::Unavailable(message)) => {
            assert!(
                !message.contains("127.0.0.1"),
                "no address in messages: {message}"
            );
        }
        Err(other) => panic!("a closed port must be StoreUnavailable, got {other}"),
        Ok(_) => panic!("nothing listens on the port, yet the store connected"),
    }
}

/// Retries `use_once` on fresh keys until the store answers again.
async fn wait_until_it_answers(store: &RedisStore) {
    for attempt in 0..300 {
        match store
            .use_once(&format!("probe-{attempt}"), now() + 60)
            .await
        {
            Ok(fresh) => {
                assert!(fresh, "a fresh key must be usable");
                return;
            }
            Err(StoreError::Unavailable(_)) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(other) => panic!("while Redis comes back: {other}"),
        }
    }
    panic!("the store did not recover once Redis was back");
}

async fn start_session(store: &RedisStore) -> (Session, PresentedRefresh) {
    let at = now();
    let session = Session {
        sid: format!("sid-{}", hash("sid").to_hex()),
        user_id: "user-1".into(),
        amr: vec!["pwd".into()],
        auth_time: at,
        created_at: at,
        last_used_at: at,
        ip: None,
        user_agent: None,
    };
    let token = hash("refresh");
    store
        .create_session(&session, &token, at + 600)
        .await
        .unwrap();
    let presented = first_token(&session.sid, token, at + 600);
    (session, presented)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_recovers_by_itself_when_redis_comes_back() {
    if redis_url().is_none() {
        return;
    }
    let port = free_port();
    let Some(server) = OwnRedis::start(port).await else {
        return;
    };
    let store = connect(&server.url(), "auth:").await;
    let (session, token) = start_session(&store).await;

    drop(server);
    let next = successor(&token, hash("refresh"));
    answers("the store while Redis is down", async {
        assert_unavailable(
            "rotate_refresh",
            store
                .rotate_refresh(
                    &token,
                    &next,
                    now(),
                    now() + 600,
                    10,
                    &ClientInfo::unknown(),
                )
                .await,
        );
        assert_unavailable("user_by_name", store.user_by_name("ada").await);
        assert_unavailable("use_once", store.use_once("k", now() + 60).await);
        assert_unavailable("record_failure", store.record_failure("k", now(), 60).await);
        assert_unavailable(
            "revoke",
            store
                .revoke(&Revocation::Session {
                    sid: session.sid.clone(),
                    until: now() + 60,
                })
                .await,
        );
        assert_unavailable("active_revocations", store.active_revocations(now()).await);
    })
    .await;

    // Same port, empty data, no scripts loaded: the store must reconnect and
    // load its scripts again by itself.
    let Some(_server) = OwnRedis::start(port).await else {
        return;
    };
    answers(
        "the store once Redis is back",
        wait_until_it_answers(&store),
    )
    .await;
    let (session, token) = start_session(&store).await;
    let rotation = store
        .rotate_refresh(
            &token,
            &successor(&token, hash("refresh")),
            now(),
            now() + 600,
            10,
            &ClientInfo::unknown(),
        )
        .await
        .unwrap();
    assert_eq!(rotation, Rotation::Rotated(session));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unresponsive_redis_times_out_instead_of_hanging() {
    if redis_url().is_none() {
        return;
    }
    let Some(server) = OwnRedis::start(free_port()).await else {
        return;
    };
    let store = RedisStore::connect_with_timeout(&server.url(), Duration::from_millis(300))
        .await
        .unwrap();
    let (_, token) = start_session(&store).await;

    // A stopped process keeps its socket open but never answers.
    server.signal("-STOP");
    answers("the store while Redis is frozen", async {
        assert_unavailable(
            "rotate_refresh",
            store
                .rotate_refresh(
                    &token,
                    &successor(&token, hash("refresh")),
                    now(),
                    now() + 600,
                    10,
                    &ClientInfo::unknown(),
                )
                .await,
        );
        assert_unavailable("use_once", store.use_once("k", now() + 60).await);
    })
    .await;
    server.signal("-CONT");
    answers(
        "the store once Redis answers again",
        wait_until_it_answers(&store),
    )
    .await;
    let debug = format!("{store:?}");
    assert!(
        !debug.contains("127.0.0.1"),
        "Debug must not show the address: {debug}"
    );
}
