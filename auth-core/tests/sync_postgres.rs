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

mod services;

use std::time::Duration;

use auth_core::store::{
    ApiKey, ApiKeyStore, ApiKeyView, PostgresStore, Revocation, RevocationStore, StoreEvent,
};
use auth_core::{RevocationQuery, RevocationView, TokenRejection};
use services::postgres::{in_scratch_schema, open, server_address};
use services::relay::{Relay, via};
use services::sync::{
    HANG_GUARD, Instance, RECOVERY_GUARD, assert_revocation_propagates,
    attach_feeds_the_views_until_dropped, issuer_over, new_key, random_hash, revoked_jti,
    wait_at_most, wait_until,
};
use services::{now, report};

/// `DATABASE_URL`, or `None` (after one line on stderr) when it is not set
/// and the services are not required.
fn database_url() -> Option<String> {
    services::database_url("PostgreSQL sync tests")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_on_one_instance_reach_the_others_views() {
    let Some(url) = database_url() else { return };
    in_scratch_schema(&url, |url, schema| async move {
        let a = Instance::start(open(&url, &schema).await).await;
        let b = Instance::start(open(&url, &schema).await).await;

        let jti = format!("jti-{schema}");
        assert_revocation_propagates("postgres", &a, &b, &jti).await;
        assert!(revoked_jti(&a.revocations, &jti));

        let key = new_key("owner");
        a.store.create_api_key(&key, 100).await.unwrap();
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
        let store = open(&url, &schema).await;
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
        let writer = open(&url, &schema).await;
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
        writer.create_api_key(&kept, 100).await.unwrap();
        writer.create_api_key(&deleted, 100).await.unwrap();
        assert!(writer.revoke_api_key("owner", &deleted.id).await.unwrap());

        let late = Instance::start(open(&url, &schema).await).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_views_go_stale_while_the_database_is_cut_off_and_recover_after() {
    let Some(url) = database_url() else { return };
    in_scratch_schema(&url, |url, schema| async move {
        let relay = Relay::start(0, server_address(&url)).await;
        let instance = Instance::start(open(&via(&url, relay.port), &schema).await).await;
        let max_age = Duration::from_millis(1500);
        let (_issuer, verifier, token) = issuer_over(&instance, max_age);
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
        let other = open(&url, &schema).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attached_instance_is_fed_until_its_handle_is_dropped() {
    let Some(url) = database_url() else { return };
    in_scratch_schema(&url, |url, schema| async move {
        // The attached instance over a pool the application built itself.
        let options = PostgresStore::connect_options(&url, &schema).unwrap();
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(3)
            .connect_with(options)
            .await
            .unwrap();
        let a = PostgresStore::from_pool(pool).await.unwrap();
        assert_eq!(a.schema(), schema);
        let b = open(&url, &schema).await;
        attach_feeds_the_views_until_dropped("postgres", a, b).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_in_the_public_schema_is_refused() {
    let Some(url) = database_url() else { return };
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    assert!(
        PostgresStore::from_pool(pool).await.is_err(),
        "the store's tables and migration history must not land among the application's"
    );
}
