//! The store conformance suite against `PostgresStore`, and what only the
//! PostgreSQL store promises: rows survive a reconnect, expired rows are
//! purged, revocations are announced, and an unreachable database gives
//! `StoreUnavailable`, quickly, and is recovered from without a new store.
//!
//! The server is found through `DATABASE_URL`. Without it these tests are
//! skipped with one printed line, unless `AUTH_TEST_REQUIRE_SERVICES=1`, which
//! makes a missing `DATABASE_URL` (or an unreachable server) a failure. Each
//! test works in its own random schema and drops it at the end.

// Test helpers, outside `#[test]` functions: a failure should panic right there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod services;

use std::time::Duration;

use auth_core::StoreError;
use auth_core::flow::ClientInfo;
use auth_core::store::conformance::{self, StoreFactory};
use auth_core::store::{
    ApiKey, ApiKeyStore, NewUser, OneTimeStore, PostgresStore, Revocation, RevocationStore,
    Rotation, SecretHash, Session, SessionStore, ThrottleStore, TotpState, UserStore,
};
use services::postgres::{admin_pool, in_scratch_schema, open, server_address};
use services::relay::{Relay, via};
use services::{assert_unavailable, first_token, free_port, now, successor};
use sqlx::postgres::{PgListener, PgPool};
use tokio::task::JoinSet;
use zeroize::Zeroizing;

/// Only to keep a broken store from hanging the test run; never reached
/// when the store behaves.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// `DATABASE_URL`, or `None` (after one line on stderr) when it is not set
/// and the services are not required.
fn database_url() -> Option<String> {
    services::database_url("PostgreSQL store tests")
}

/// Rows in `table` of `schema`.
async fn rows(admin: &PgPool, schema: &str, table: &str) -> i64 {
    sqlx::query_scalar(&format!(r#"SELECT count(*) FROM "{schema}".{table}"#))
        .fetch_one(admin)
        .await
        .unwrap()
}

struct Postgres {
    url: String,
    schema: String,
    store: PostgresStore,
}

impl StoreFactory for Postgres {
    type Store = PostgresStore;

    async fn create(&self) -> PostgresStore {
        self.store.clone()
    }

    async fn second_instance(&self, _store: &PostgresStore) -> PostgresStore {
        // Its own pool, as a second app instance would have.
        open(&self.url, &self.schema).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_store_passes_the_conformance_suite() {
    let Some(url) = database_url() else { return };
    in_scratch_schema(&url, |url, schema| async move {
        let store = open(&url, &schema).await;
        conformance::run_all(&Postgres { url, schema, store }).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_share_one_schema() {
    let Some(url) = database_url() else { return };
    in_scratch_schema(&url, |url, schema| async move {
        // The schema does not exist yet: all four create it and migrate it at once.
        let mut starts = JoinSet::new();
        for _ in 0..4 {
            let (url, schema) = (url.clone(), schema.clone());
            starts.spawn(async move { PostgresStore::connect_with_schema(&url, &schema).await });
        }
        let mut stores = Vec::new();
        while let Some(started) = starts.join_next().await {
            stores.push(
                started
                    .unwrap()
                    .expect("every concurrent start must succeed"),
            );
        }
        let user = stores[0]
            .create_user(NewUser {
                username: "shared".into(),
                password_hash: None,
                roles: Vec::new(),
            })
            .await
            .unwrap();
        for store in &stores {
            assert_eq!(store.schema(), schema);
            assert_eq!(
                store.user_by_name("shared").await.unwrap(),
                Some(user.clone())
            );
        }
    })
    .await;
}

fn session(user_id: &str, at: i64) -> Session {
    Session {
        sid: format!("sid-{user_id}"),
        user_id: user_id.into(),
        amr: vec!["pwd".into(), "otp".into(), "mfa".into()],
        auth_time: at,
        created_at: at,
        last_used_at: at,
        ip: None,
        user_agent: None,
    }
}

fn hash(label: &str) -> SecretHash {
    SecretHash::of("test", label.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_removes_exactly_the_rows_past_their_expiry() {
    let Some(url) = database_url() else { return };
    in_scratch_schema(&url, |url, schema| async move {
        let store = open(&url, &schema).await;
        let admin = admin_pool(&url).await;
        let at = now();

        // A session rotated once: its first token expires at +100, the
        // session (with its current token) at +200.
        let kept = session("kept", at);
        store
            .create_session(&kept, &hash("kept-0"), at + 100)
            .await
            .unwrap();
        let first = first_token(&kept.sid, hash("kept-0"), at + 100);
        let rotated = store
            .rotate_refresh(
                &first,
                &successor(&first, hash("kept-1")),
                at,
                at + 200,
                10,
                &ClientInfo::unknown(),
            )
            .await
            .unwrap();
        assert_eq!(rotated, Rotation::Rotated(kept.clone()));
        // A session that ends at +100 with its only token.
        store
            .create_session(&session("gone", at), &hash("gone-0"), at + 100)
            .await
            .unwrap();
        let jti = Revocation::Token {
            jti: "jti".into(),
            expires_at: at + 100,
        };
        let sid = Revocation::Session {
            sid: "sid".into(),
            until: at + 300,
        };
        store.revoke(&jti).await.unwrap();
        store.revoke(&sid).await.unwrap();
        store.record_failure("ip", at, 100).await.unwrap();
        assert!(store.use_once("totp", at + 100).await.unwrap());
        store
            .put_code("email", &hash("code"), at + 100)
            .await
            .unwrap();
        // A backlog larger than one batch.
        sqlx::query(&format!(
            r#"INSERT INTO "{schema}".auth_one_time (key, expires_at)
               SELECT 'bulk-' || i, $1 FROM generate_series(1, 2500) AS i"#
        ))
        .bind(at + 100)
        .execute(&admin)
        .await
        .unwrap();

        assert_eq!(
            store.purge_expired(at + 100).await.unwrap(),
            0,
            "rows are kept until their expiry has passed"
        );
        // The ended session, the jti revocation, the window, the mark, the
        // code, the backlog: no row per refresh token to purge.
        assert_eq!(store.purge_expired(at + 101).await.unwrap(), 5 + 2500);
        for (table, left) in [
            ("auth_sessions", 1),
            ("auth_revocations", 1),
            ("auth_throttle", 0),
            ("auth_one_time", 0),
            ("auth_codes", 0),
        ] {
            assert_eq!(
                rows(&admin, &schema, table).await,
                left,
                "rows left in {table}"
            );
        }
        assert_eq!(
            store.session(&kept.sid).await.unwrap(),
            Some(kept.clone()),
            "the live session stays"
        );
        assert_eq!(store.active_revocations(at + 101).await.unwrap(), vec![sid]);

        assert_eq!(store.purge_expired(at + 301).await.unwrap(), 2);
        for table in ["auth_sessions", "auth_revocations"] {
            assert_eq!(
                rows(&admin, &schema, table).await,
                0,
                "rows left in {table}"
            );
        }
        assert_eq!(
            store.purge_expired(at + 301).await.unwrap(),
            0,
            "a second purge finds nothing"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_survives_a_reconnect() {
    let Some(url) = database_url() else { return };
    in_scratch_schema(&url, |url, schema| async move {
        let at = now();
        let first = open(&url, &schema).await;
        let user = first
            .create_user(NewUser {
                username: "durable".into(),
                password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
                roles: vec!["admin".into()],
            })
            .await
            .unwrap();
        let totp = TotpState {
            secret: Zeroizing::new(vec![3u8; 20]),
            confirmed: true,
        };
        first.set_totp(&user.id, Some(totp.clone())).await.unwrap();
        first
            .set_recovery_codes(&user.id, vec![hash("rc-1"), hash("rc-2")])
            .await
            .unwrap();
        let live = session(&user.id, at);
        first
            .create_session(&live, &hash("r-0"), at + 3600)
            .await
            .unwrap();
        let token = first_token(&live.sid, hash("r-0"), at + 3600);
        first
            .rotate_refresh(
                &token,
                &successor(&token, hash("r-1")),
                at,
                at + 3600,
                10,
                &ClientInfo::unknown(),
            )
            .await
            .unwrap();
        let logout_all = Revocation::User {
            sub: user.id.clone(),
            issued_up_to: at,
            until: at + 900,
        };
        first.revoke(&logout_all).await.unwrap();
        let key = ApiKey {
            id: "key-1".into(),
            user_id: user.id.clone(),
            name: "ci".into(),
            hash: hash("api-key"),
            created_at: at,
        };
        first.create_api_key(&key, 100).await.unwrap();
        first.record_failure("ip", at, 600).await.unwrap();
        assert!(first.use_once("totp-step", at + 600).await.unwrap());
        first
            .put_code("email", &hash("code"), at + 600)
            .await
            .unwrap();
        first.close().await;
        drop(first);

        let second = open(&url, &schema).await;
        let mut expected = user.clone();
        expected.totp = Some(totp);
        expected.recovery_codes = vec![hash("rc-1"), hash("rc-2")];
        assert_eq!(
            second.user_by_name("durable").await.unwrap(),
            Some(expected)
        );
        assert_eq!(second.session(&live.sid).await.unwrap(), Some(live.clone()));
        assert_eq!(
            second
                .rotate_refresh(
                    &token,
                    &successor(&token, hash("r-2")),
                    at + 11,
                    at + 3600,
                    10,
                    &ClientInfo::unknown()
                )
                .await
                .unwrap(),
            Rotation::Reused(live),
            "a token rotated before the restart is detected as reused after it"
        );
        assert_eq!(
            second.active_revocations(at).await.unwrap(),
            vec![logout_all]
        );
        assert_eq!(second.api_key_by_hash(&key.hash).await.unwrap(), Some(key));
        assert_eq!(second.failures("ip", at).await.unwrap().count, 1);
        assert!(!second.use_once("totp-step", at + 600).await.unwrap());
        assert!(
            second
                .consume_recovery_code(&user.id, &hash("rc-2"))
                .await
                .unwrap()
        );
        assert!(
            second
                .consume_code("email", &hash("code"), at)
                .await
                .unwrap()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_are_announced_to_listeners() {
    let Some(url) = database_url() else { return };
    in_scratch_schema(&url, |url, schema| async move {
        let store = open(&url, &schema).await;
        let mut listener = PgListener::connect(&url).await.unwrap();
        listener
            .listen(PostgresStore::REVOCATION_CHANNEL)
            .await
            .unwrap();

        let sub = format!("user-{schema}");
        let at = now();
        store
            .revoke(&Revocation::User {
                sub: sub.clone(),
                issued_up_to: at,
                until: at + 600,
            })
            .await
            .unwrap();
        // A second revocation of the same user is announced as the merged record.
        store
            .revoke(&Revocation::User {
                sub: sub.clone(),
                issued_up_to: at + 5,
                until: at + 300,
            })
            .await
            .unwrap();
        let merged = Revocation::User {
            sub: sub.clone(),
            issued_up_to: at + 5,
            until: at + 600,
        };

        // Other tests notify on the same channel: keep only this schema's notices.
        let mut announced = Vec::new();
        while announced.len() < 2 {
            let notice = tokio::time::timeout(HANG_GUARD, listener.recv())
                .await
                .expect("no revocation was announced")
                .unwrap();
            assert_eq!(notice.channel(), PostgresStore::REVOCATION_CHANNEL);
            announced.extend(store.revocation_from_notice(notice.payload()));
        }
        assert_eq!(
            announced,
            vec![
                Revocation::User {
                    sub,
                    issued_up_to: at,
                    until: at + 600,
                },
                merged.clone(),
            ]
        );
        assert_eq!(store.active_revocations(at).await.unwrap(), vec![merged]);

        let elsewhere = r#"{"schema":"another","kind":"token","subject":"j","issued_up_to":null,"expires_at":1}"#;
        assert_eq!(
            store.revocation_from_notice(elsewhere),
            None,
            "notices of another schema are not this store's"
        );
        let here = elsewhere.replace("another", &schema);
        assert_eq!(
            store.revocation_from_notice(&here),
            Some(Revocation::Token {
                jti: "j".into(),
                expires_at: 1
            })
        );
        for junk in ["", "{}", "null", r#"{"schema":1}"#, &here.replace("token", "user")] {
            assert_eq!(store.revocation_from_notice(junk), None, "{junk:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn an_unreachable_server_is_store_unavailable_at_once() {
    // Needs no server, so it runs without DATABASE_URL too.
    let url = format!(
        "postgres://auth:s3cret-password@127.0.0.1:{}/app",
        free_port()
    );
    let started = tokio::time::timeout(HANG_GUARD, PostgresStore::connect(&url))
        .await
        .expect("connecting to a closed port must fail, not hang");
    match started {
        Err(StoreError::Unavailable(message)) => {
            assert!(
                !message.contains("s3cret") && !message.contains("postgres://"),
                "the message must not hold the URL: {message}"
            );
        }
        other => panic!("expected StoreUnavailable, got {other:?}"),
    }
    for bad in ["not a url", "mysql://localhost/db"] {
        let refused = PostgresStore::connect(bad).await;
        assert!(
            matches!(refused, Err(StoreError::Unavailable(_))),
            "{bad:?}: {refused:?}"
        );
    }
    let refused = PostgresStore::connect_with_schema(&url, "Bad-Name").await;
    assert!(matches!(refused, Err(StoreError::Unavailable(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_store_unavailable_and_the_store_recovers_by_itself() {
    let Some(url) = database_url() else { return };
    in_scratch_schema(&url, |url, schema| async move {
        let relay = Relay::start(0, server_address(&url)).await;
        let store = open(&via(&url, relay.port), &schema).await;
        let user = store
            .create_user(NewUser {
                username: "patient".into(),
                password_hash: None,
                roles: Vec::new(),
            })
            .await
            .unwrap();
        let at = now();
        store
            .create_session(&session("patient", at), &hash("p-0"), at + 600)
            .await
            .unwrap();

        let (port, target) = relay.stop().await;
        let token = first_token("sid-patient", hash("p-0"), at + 600);
        let next = successor(&token, hash("p-1"));
        let down = tokio::time::timeout(HANG_GUARD, async {
            (
                store.user_by_name("patient").await,
                store
                    .rotate_refresh(&token, &next, at, at + 600, 10, &ClientInfo::unknown())
                    .await,
                store
                    .revoke(&Revocation::Session {
                        sid: "s".into(),
                        until: at + 60,
                    })
                    .await,
                store.use_once("k", at + 60).await,
            )
        })
        .await
        .expect("operations during an outage must fail, not hang");
        assert_unavailable("user_by_name", down.0);
        assert_unavailable("rotate_refresh", down.1);
        assert_unavailable("revoke", down.2);
        assert_unavailable("use_once", down.3);

        let _relay = Relay::start(port, target).await;
        assert_eq!(
            store.user_by_name("patient").await.unwrap(),
            Some(user),
            "the same store must work again once the database is back"
        );
        assert_eq!(
            store
                .rotate_refresh(&token, &next, at, at + 600, 10, &ClientInfo::unknown())
                .await
                .unwrap(),
            Rotation::Rotated(session("patient", at)),
            "the rotation refused during the outage did not happen"
        );
    })
    .await;
}
