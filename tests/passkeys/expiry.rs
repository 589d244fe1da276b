//! An expired challenge is refused, over HTTP against a real store: the
//! demo keeps its ceremonies in Redis, and the test moves a pending
//! ceremony's expiry into the past (the five minutes are not waited out).
//! The record's layout is the Redis store's own: `{prefix}ceremony:{key}`
//! holding `"{expires_at} {state}"`.

use redis::AsyncCommands as _;
use serde_json::Value;

use super::authenticator::{ClientData, Credential, USER_PRESENT, USER_VERIFIED};
use super::support::{free_port, own_loopback_address, service_url, unique};
use super::{PASSWORD, refused, registration_options, send_registration, send_sign_in};
use super::{add_passkey, sign_in_options};

/// Rewrites the ceremony under `key` as expired a second ago, keeping its
/// state and its time to live.
async fn expire(redis: &mut redis::aio::MultiplexedConnection, key: &str) {
    let record = format!("auth:ceremony:{key}");
    let kept: String = redis.get(&record).await.unwrap();
    let (_, state) = kept.split_once(' ').unwrap();
    let past = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 1;
    let _: () = redis::cmd("SET")
        .arg(&record)
        .arg(format!("{past} {state}"))
        .arg("KEEPTTL")
        .query_async(redis)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_expired_challenge_is_refused() {
    let Some(url) = service_url("REDIS_URL", "the passkey expiry test on Redis") else {
        return;
    };
    let mut redis = redis::Client::open(url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let origin = format!("http://localhost:{port}");
    let mut demo = super::support::Demo::start(&[
        ("AUTH_DEMO_ADDR", addr.as_str()),
        ("AUTH_DEMO_ISSUER", origin.as_str()),
        ("AUTH_DEMO_STORE", url.as_str()),
    ])
    .await;
    // The store is shared with other tests and earlier runs: per-address
    // limits must not meet theirs.
    demo.http = demo.client_from(own_loopback_address());
    let name = unique("pk-expiry");
    let user_id = demo.register(&name, PASSWORD).await;
    let session = demo.login(&name, PASSWORD).await;

    // A registration answered after its challenge expired.
    let options = registration_options(&demo, &session.access).await;
    expire(&mut redis, &format!("passkey-register:{user_id}")).await;
    let credential = Credential::new(&options, 0);
    let answer = credential.attestation(
        &ClientData::create(&options, &origin),
        "localhost",
        USER_PRESENT | USER_VERIFIED,
    );
    let response = send_registration(&demo, &session.access, answer).await;
    assert_eq!(refused(response, 422).await, "invalid_passkey");
    let listed: Value = demo
        .get_bearer("/auth/passkeys", &session.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["passkeys"], serde_json::json!([]));

    // A sign-in answered after its ceremony expired.
    let mut credential = add_passkey(&demo, &origin, &session.access, 0).await;
    let (ceremony, options) = sign_in_options(&demo).await;
    expire(&mut redis, &format!("passkey-sign-in:{ceremony}")).await;
    let answer = credential.assertion(&ClientData::get(&options, &origin));
    let response = send_sign_in(&demo, &ceremony, answer).await;
    assert_eq!(refused(response, 401).await, "invalid_credentials");
}
