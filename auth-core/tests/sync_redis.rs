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

mod services;

use std::time::Duration;

use auth_core::store::{ApiKeyStore, ApiKeyView, RedisStore, Revocation, RevocationStore};
use auth_core::{RevocationQuery, RevocationView, TokenRejection};
use services::own_redis::OwnRedis;
use services::redis_prefix::{Cleanup, connect};
use services::sync::{
    HANG_GUARD, Instance, RECOVERY_GUARD, assert_revocation_propagates,
    attach_feeds_the_views_until_dropped, issuer_over, new_key, revoked_jti, wait_at_most,
    wait_until,
};
use services::{free_port, now, random_hex, report};

/// `REDIS_URL`, or `None` (after one line on stderr) when it is not set and
/// the services are not required.
fn redis_url() -> Option<String> {
    services::redis_url("Redis sync tests")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_on_one_instance_reach_the_others_views() {
    let Some(url) = redis_url() else { return };
    let cleanup = Cleanup::new(&url);
    let prefix = cleanup.add(format!("auth-sync-test-{}:", random_hex()));
    let a = Instance::start(connect(&url, &prefix).await).await;
    let b = Instance::start(connect(&url, &prefix).await).await;

    let jti = format!("jti-{}", random_hex());
    assert_revocation_propagates("redis", &a, &b, &jti).await;
    assert!(
        revoked_jti(&a.revocations, &jti),
        "the writing instance hears its own announcement too"
    );

    let owner = format!("owner-{}", random_hex());
    let key = new_key(&owner);
    a.store.create_api_key(&key, 100).await.unwrap();
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
    let cleanup = Cleanup::new(&url);
    let prefix = cleanup.add(format!("auth-sync-test-{}:", random_hex()));
    let writer = connect(&url, &prefix).await;
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
    writer.create_api_key(&kept, 100).await.unwrap();
    writer.create_api_key(&deleted, 100).await.unwrap();
    assert!(writer.revoke_api_key("owner", &deleted.id).await.unwrap());

    let late = Instance::start(connect(&url, &prefix).await).await;
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
    let instance = Instance::start(connect(&server.url(), "auth:").await).await;
    let (issuer, verifier, token) = issuer_over(&instance, max_age);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attached_instance_is_fed_until_its_handle_is_dropped() {
    let Some(url) = redis_url() else { return };
    let cleanup = Cleanup::new(&url);
    let prefix = cleanup.add(format!("auth-sync-test-{}:", random_hex()));
    let a = connect(&url, &prefix).await;
    // The second instance over a connection the application made itself.
    let client = redis::Client::open(url.as_str()).unwrap();
    let connection = redis::aio::ConnectionManager::new(client.clone())
        .await
        .unwrap();
    let b = RedisStore::from_connection(client, connection).with_prefix(prefix.as_str());
    attach_feeds_the_views_until_dropped("redis", a, b).await;
}
