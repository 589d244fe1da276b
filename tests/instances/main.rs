//! Several `auth-demo` processes on one shared store act as one app
//! (its README, "Several instances, and store outages"): a logout, a
//! logout-all, an ended session, a reused refresh token or a deleted API key
//! on one instance is refused on the other within one second, and refresh
//! tokens, revocations and users survive a restart of the app.
//!
//! The same scenario runs on Redis (`REDIS_URL`) and on PostgreSQL
//! (`DATABASE_URL`); without the variable its test is skipped (one line says
//! so), unless `AUTH_TEST_REQUIRE_SERVICES=1` makes that a failure. The
//! measured propagation delays are printed.

// Test code: a failed step is a failed test, so panicking on it is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../support/mod.rs"]
mod support;

use std::io::Write as _;
use std::time::Duration;

use support::{Demo, Session, service_url, unique, wait_for};

const PASSWORD: &str = "correct horse battery";

/// How often a propagation is checked.
const POLL: Duration = Duration::from_millis(25);

/// The contract's bound on propagation between instances.
const PROPAGATION: Duration = Duration::from_secs(1);

/// The scenarios start four processes each; one at a time keeps the
/// measured delays free of the other scenario's load.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_sharing_redis_act_as_one() {
    let Some(url) = service_url("REDIS_URL", "the auth-demo tests on Redis") else {
        return;
    };
    let _turn = ONE_AT_A_TIME.lock().await;
    instances_act_as_one("redis", &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_sharing_postgres_act_as_one() {
    let Some(url) = service_url("DATABASE_URL", "the auth-demo tests on PostgreSQL") else {
        return;
    };
    let _turn = ONE_AT_A_TIME.lock().await;
    instances_act_as_one("postgres", &url).await;
}

/// Prints one line past the test harness' capture.
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Waits (polling every 25 ms) until `demo` refuses `access` on `/api/me`,
/// asserts that took at most a second, and reports the delay.
async fn refused_within_a_second(label: &str, demo: &Demo, access: &str) {
    let delay = wait_for(label, POLL, PROPAGATION * 5, || async {
        demo.get_bearer("/api/me", access).await.status() == 401
    })
    .await;
    report(&format!("propagation: {label}: refused after {delay:?}"));
    assert!(
        delay <= PROPAGATION,
        "{label}: refused only after {delay:?}, the contract allows {PROPAGATION:?}"
    );
}

/// How many sessions `GET /auth/sessions` lists for the caller.
async fn listed_sessions(demo: &Demo, access: &str) -> usize {
    let response = demo.get_bearer("/auth/sessions", access).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    body["sessions"].as_array().unwrap().len()
}

async fn me_status(demo: &Demo, access: &str) -> u16 {
    demo.get_bearer("/api/me", access).await.status().as_u16()
}

/// POST /auth/logout with the bearer token and the refresh cookie.
async fn logout(demo: &Demo, session: &Session) -> u16 {
    demo.http
        .post(demo.url("/auth/logout"))
        .bearer_auth(&session.access)
        .header("cookie", format!("__Host-refresh={}", session.refresh))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

async fn instances_act_as_one(store: &str, url: &str) {
    let keys = tempfile::tempdir().unwrap();
    let key_dir = keys.path().to_str().unwrap().to_owned();
    let env = [
        ("AUTH_DEMO_STORE", url),
        ("AUTH_DEMO_KEY_DIR", key_dir.as_str()),
        ("AUTH_DEMO_REFRESH_REUSE_INTERVAL", "1"),
    ];
    let a = Demo::start(&env).await;
    let b = Demo::start(&env).await;

    // A user registered on A logs in on B; B's token works on A too.
    let ada = unique("ada");
    a.register(&ada, PASSWORD).await;
    let first = b.login(&ada, PASSWORD).await;
    assert_eq!(me_status(&a, &first.access).await, 200);
    assert_eq!(me_status(&b, &first.access).await, 200);

    // Logout on A: B refuses the access token within a second, and the
    // family (in the store) at once.
    assert_eq!(logout(&a, &first).await, 204);
    refused_within_a_second(
        &format!("{store}: logout on A, seen by B"),
        &b,
        &first.access,
    )
    .await;
    assert_eq!(b.refresh(&first.refresh).await.status(), 401);

    // Logout-all on B: A refuses every token of the user.
    let bob = unique("bob");
    b.register(&bob, PASSWORD).await;
    let on_a = a.login(&bob, PASSWORD).await;
    let on_b = b.login(&bob, PASSWORD).await;
    assert_eq!(
        b.post_bearer("/auth/logout-all", &on_b.access)
            .await
            .status(),
        204
    );
    refused_within_a_second(
        &format!("{store}: logout-all on B, seen by A"),
        &a,
        &on_a.access,
    )
    .await;
    assert_eq!(me_status(&a, &on_b.access).await, 401);
    assert_eq!(a.refresh(&on_a.refresh).await.status(), 401);

    // A session ended on A ("sign out that device"): B lists it no more,
    // refuses its refresh token at once and its access token within a
    // second; the session that ended it lives on.
    let eve = unique("eve");
    a.register(&eve, PASSWORD).await;
    let phone = a.login(&eve, PASSWORD).await;
    let laptop = b.login(&eve, PASSWORD).await;
    let laptop_sid = support::claims(&laptop.access)["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(listed_sessions(&b, &phone.access).await, 2);
    let ended = a
        .http
        .delete(a.url(&format!("/auth/sessions/{laptop_sid}")))
        .bearer_auth(&phone.access)
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 204);
    assert_eq!(
        me_status(&a, &laptop.access).await,
        401,
        "the ending instance, at once"
    );
    refused_within_a_second(
        &format!("{store}: session ended on A, seen by B"),
        &b,
        &laptop.access,
    )
    .await;
    assert_eq!(b.refresh(&laptop.refresh).await.status(), 401);
    assert_eq!(listed_sessions(&b, &phone.access).await, 1);
    assert_eq!(me_status(&b, &phone.access).await, 200);

    // A refresh token rotated on A and presented again on B within the
    // reuse interval gets the same successor there; past the interval it is
    // reuse: 401, and the whole family is revoked on both.
    let cy = unique("cy");
    a.register(&cy, PASSWORD).await;
    let original = a.login(&cy, PASSWORD).await;
    let rotated = a.refresh(&original.refresh).await;
    assert_eq!(rotated.status(), 200);
    let rotated = Session::from_token_response(rotated).await;
    assert_eq!(me_status(&b, &rotated.access).await, 200);
    let second_tab = b.refresh(&original.refresh).await;
    assert_eq!(
        second_tab.status(),
        200,
        "{store}: within the interval on B"
    );
    let second_tab = Session::from_token_response(second_tab).await;
    assert_eq!(
        second_tab.refresh, rotated.refresh,
        "{store}: B hands out the successor A made"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let reuse = b.refresh(&original.refresh).await;
    assert_eq!(reuse.status(), 401);
    let body: serde_json::Value = reuse.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(a.refresh(&rotated.refresh).await.status(), 401);
    refused_within_a_second(
        &format!("{store}: reuse detected on B, seen by A"),
        &a,
        &rotated.access,
    )
    .await;
    assert_eq!(me_status(&b, &rotated.access).await, 401);

    // An API key created on A works on B; deleted on A, B refuses it within a second.
    let dee = unique("dee");
    a.register(&dee, PASSWORD).await;
    let owner = a.login(&dee, PASSWORD).await;
    let created = a
        .post_json_bearer(
            "/auth/api-keys",
            &owner.access,
            serde_json::json!({"name": "ci"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    let (id, key) = (
        created["id"].as_str().unwrap().to_owned(),
        created["key"].as_str().unwrap().to_owned(),
    );
    let key_status = |demo: &Demo| {
        let request = demo
            .http
            .get(demo.url("/api/key-echo"))
            .header("x-api-key", key.clone());
        async move { request.send().await.expect("request").status().as_u16() }
    };
    let known = wait_for("the new API key on B", POLL, PROPAGATION * 5, || async {
        key_status(&b).await == 200
    })
    .await;
    report(&format!(
        "propagation: {store}: API key created on A, usable on B after {known:?}"
    ));
    let deleted = a
        .http
        .delete(a.url(&format!("/auth/api-keys/{id}")))
        .bearer_auth(&owner.access)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(key_status(&a).await, 401, "the deleting instance, at once");
    let gone = wait_for(
        "the deleted API key on B",
        POLL,
        PROPAGATION * 5,
        || async { key_status(&b).await == 401 },
    )
    .await;
    report(&format!(
        "propagation: {store}: API key deleted on A, refused on B after {gone:?}"
    ));
    assert!(
        gone <= PROPAGATION,
        "API key deletion seen by B after {gone:?}"
    );

    // Durability: stop both, start a new instance with the same settings.
    let kept = b.login(&dee, PASSWORD).await;
    a.stop().await;
    b.stop().await;
    let c = Demo::start(&env).await;
    assert_eq!(
        c.refresh(&kept.refresh).await.status(),
        200,
        "a refresh token issued before the restart still rotates"
    );
    assert_eq!(
        me_status(&c, &kept.access).await,
        200,
        "the key folder kept the signing key: tokens from before the restart verify"
    );
    assert_eq!(
        me_status(&c, &first.access).await,
        401,
        "an access token logged out before the restart is still refused"
    );
    assert_eq!(me_status(&c, &rotated.access).await, 401);
    assert_eq!(c.refresh(&original.refresh).await.status(), 401);
    let again = c.login(&ada, PASSWORD).await;
    assert_eq!(me_status(&c, &again.access).await, 200);
    c.stop().await;
}
