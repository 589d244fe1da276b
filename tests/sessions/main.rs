//! auth-demo over HTTP: refresh with rotation and reuse detection, logout,
//! logout-all, API keys, and the sessions a person sees and ends (the
//! session rows of its README).
// End-to-end tests: a failed step panics, which is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../support/mod.rs"]
mod support;

mod devices;

use serde_json::{Value, json};
use support::{Demo, Session, claims, set_cookie, unique};

const PASSWORD: &str = "correct horse battery staple";

async fn logged_in(demo: &Demo) -> (String, Session) {
    let name = unique("sess");
    demo.register(&name, PASSWORD).await;
    let session = demo.login(&name, PASSWORD).await;
    (name, session)
}

#[tokio::test]
async fn refresh_rotates_and_keeps_the_session() {
    let demo = Demo::start(&[]).await;
    let (_, first) = logged_in(&demo).await;
    let response = demo.refresh(&first.refresh).await;
    assert_eq!(response.status(), 200);
    let cookie = set_cookie(&response, "__Host-refresh").unwrap();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("Secure")
            && cookie.contains("SameSite=Strict")
    );
    let second = Session::from_token_response(response).await;
    assert_ne!(
        second.refresh, first.refresh,
        "rotation issues a new refresh token"
    );
    assert_eq!(claims(&second.access)["sid"], claims(&first.access)["sid"]);
    assert_ne!(claims(&second.access)["jti"], claims(&first.access)["jti"]);
    assert_eq!(
        demo.get_bearer("/api/me", &second.access).await.status(),
        200
    );
    // The next rotation works from the new token.
    assert_eq!(demo.refresh(&second.refresh).await.status(), 200);
}

#[tokio::test]
async fn reuse_of_a_rotated_token_revokes_the_family() {
    let demo = Demo::start(&[("AUTH_DEMO_REFRESH_REUSE_INTERVAL", "0")]).await;
    let (_, first) = logged_in(&demo).await;
    let second = Session::from_token_response(demo.refresh(&first.refresh).await).await;
    assert_eq!(
        demo.get_bearer("/api/me", &second.access).await.status(),
        200
    );

    let reuse = demo.refresh(&first.refresh).await;
    assert_eq!(reuse.status(), 401);
    assert_eq!(
        reuse.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    // The newest refresh token of the family stops working, and so do access
    // tokens carrying its sid.
    assert_eq!(demo.refresh(&second.refresh).await.status(), 401);
    let me = demo.get_bearer("/api/me", &second.access).await;
    assert_eq!(me.status(), 401);
    assert!(
        me.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    assert_eq!(
        demo.get_bearer("/api/me", &first.access).await.status(),
        401
    );
}

#[tokio::test]
async fn ten_concurrent_refreshes_with_one_cookie_give_at_most_one_200() {
    // Strict rotation (no reuse interval): RFC 9700 to the letter.
    let demo = Demo::start(&[("AUTH_DEMO_REFRESH_REUSE_INTERVAL", "0")]).await;
    let (_, session) = logged_in(&demo).await;
    let handles: Vec<_> = (0..10)
        .map(|_| {
            let (http, url) = (demo.http.clone(), demo.url("/auth/refresh"));
            let cookie = format!("__Host-refresh={}", session.refresh);
            tokio::spawn(async move { http.post(url).header("cookie", cookie).send().await })
        })
        .collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.unwrap().unwrap().status().as_u16());
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!(ok <= 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 401),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn refresh_refuses_missing_garbage_and_cross_origin() {
    let demo = Demo::start(&[]).await;
    let (_, session) = logged_in(&demo).await;
    let missing = demo
        .http
        .post(demo.url("/auth/refresh"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    assert_eq!(demo.refresh("garbage").await.status(), 401);

    let cross = demo
        .http
        .post(demo.url("/auth/refresh"))
        .header("cookie", format!("__Host-refresh={}", session.refresh))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    // The refused request did not rotate the token.
    let same_origin = demo
        .http
        .post(demo.url("/auth/refresh"))
        .header("cookie", format!("__Host-refresh={}", session.refresh))
        .header("origin", "http://localhost:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), 200);
}

#[tokio::test]
async fn logout_revokes_the_access_token_before_its_exp_and_the_family() {
    let demo = Demo::start(&[]).await;
    let (_, session) = logged_in(&demo).await;
    let response = demo
        .http
        .post(demo.url("/auth/logout"))
        .bearer_auth(&session.access)
        .header("cookie", format!("__Host-refresh={}", session.refresh))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let cleared = set_cookie(&response, "__Host-refresh").expect("the cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    let exp = claims(&session.access)["exp"].as_i64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(exp > now + 60, "the token has not expired by itself");
    assert_eq!(
        demo.get_bearer("/api/me", &session.access).await.status(),
        401
    );
    assert_eq!(demo.refresh(&session.refresh).await.status(), 401);
    assert_eq!(
        demo.http
            .post(demo.url("/auth/logout"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn logout_all_revokes_every_session_and_login_works_again() {
    let demo = Demo::start(&[]).await;
    let (name, one) = logged_in(&demo).await;
    let two = demo.login(&name, PASSWORD).await;
    let response = demo
        .http
        .post(demo.url("/auth/logout-all"))
        .bearer_auth(&one.access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    for session in [&one, &two] {
        assert_eq!(
            demo.get_bearer("/api/me", &session.access).await.status(),
            401
        );
        assert_eq!(demo.refresh(&session.refresh).await.status(), 401);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let three = demo.login(&name, PASSWORD).await;
    assert_eq!(
        demo.get_bearer("/api/me", &three.access).await.status(),
        200
    );
}

#[tokio::test]
async fn api_keys_are_shown_once_work_and_die_at_once() {
    let demo = Demo::start(&[]).await;
    let (_, owner) = logged_in(&demo).await;
    let (_, other) = logged_in(&demo).await;
    let created = demo
        .http
        .post(demo.url("/auth/api-keys"))
        .bearer_auth(&owner.access)
        .json(&json!({"name": "ci"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let (id, key) = (
        created["id"].as_str().unwrap(),
        created["key"].as_str().unwrap(),
    );

    let echo = demo
        .http
        .get(demo.url("/api/key-echo"))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(echo.status(), 200);
    let echo: Value = echo.json().await.unwrap();
    assert_eq!(echo["via"], "api_key");
    assert_eq!(echo["sub"], claims(&owner.access)["sub"]);
    let bearer: Value = demo
        .get_bearer("/api/key-echo", &owner.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bearer["via"], "bearer");
    assert_eq!(
        demo.http
            .get(demo.url("/api/key-echo"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    let foreign = demo
        .http
        .delete(demo.url(&format!("/auth/api-keys/{id}")))
        .bearer_auth(&other.access)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 404);
    let deleted = demo
        .http
        .delete(demo.url(&format!("/auth/api-keys/{id}")))
        .bearer_auth(&owner.access)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let dead = demo
        .http
        .get(demo.url("/api/key-echo"))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(dead.status(), 401);
    assert!(dead.headers().contains_key("www-authenticate"));
    let unauthenticated = demo
        .http
        .post(demo.url("/auth/api-keys"))
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
}

#[tokio::test]
async fn every_bearer_route_answers_401_with_the_challenge_without_a_token() {
    let demo = Demo::start(&[]).await;
    let routes = [
        ("POST", "/auth/mfa/totp/enroll"),
        ("POST", "/auth/mfa/totp/confirm"),
        ("POST", "/auth/logout"),
        ("POST", "/auth/logout-all"),
        ("POST", "/auth/api-keys"),
        ("DELETE", "/auth/api-keys/some-id"),
        ("GET", "/api/me"),
        ("GET", "/api/secure"),
        ("GET", "/api/admin"),
        ("GET", "/api/key-echo"),
    ];
    for (method, path) in routes {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = demo
            .http
            .request(method, demo.url(path))
            .header("content-type", "application/json")
            .body(r#"{"code":"123456","name":"x"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(
            response.headers()["www-authenticate"],
            r#"Bearer realm="auth-demo""#,
            "{path}"
        );
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"].is_string() && body["error_description"].is_string(),
            "{path}: {body}"
        );
    }
}
