//! API keys: `POST /auth/api-keys`, `DELETE /auth/api-keys/{id}`, and the
//! layer's `X-API-Key` source with `ApiKeyUser` and `Caller`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod flows_support;

use flows_support::{App, Reply, Session};
use http::Method;
use serde_json::json;

const INVALID_KEY_CHALLENGE: &str = r#"Bearer realm="auth-demo", error="invalid_token", error_description="the API key is invalid""#;

/// Creates a key for `session`: its id and the key.
async fn create(app: &App, session: &Session, name: &str) -> (String, String) {
    let reply = app
        .post(
            "/auth/api-keys",
            &[("authorization", &session.bearer())],
            json!({"name": name}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body = reply.json();
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    (
        body["id"].as_str().unwrap().to_owned(),
        body["key"].as_str().unwrap().to_owned(),
    )
}

async fn echo(app: &App, headers: &[(&str, &str)]) -> Reply {
    app.call(Method::GET, "/api/key-echo", headers).await
}

#[tokio::test]
async fn creating_a_key_needs_a_bearer_token() {
    let app = App::new().await;
    app.post("/auth/api-keys", &[], json!({"name": "ci"}))
        .await
        .assert_error(401, "missing_token");
    let session = app.session("ada").await;
    let (_, key) = create(&app, &session, "ci").await;
    // A key is not a bearer token: it cannot make more keys.
    app.post(
        "/auth/api-keys",
        &[("x-api-key", &key)],
        json!({"name": "more"}),
    )
    .await
    .assert_error(401, "missing_token");
}

#[tokio::test]
async fn a_valid_key_authenticates_as_its_owner() {
    let app = App::new().await;
    let session = app.session("ada").await;
    let (_, key) = create(&app, &session, "ci").await;
    let reply = echo(&app, &[("x-api-key", &key)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({"sub": session.user_id, "via": "api_key"})
    );

    // Authenticated, but without MFA: a step-up route refuses it with 401
    // (RFC 9470 §3).
    let secure = app
        .call(Method::GET, "/api/secure", &[("x-api-key", &key)])
        .await;
    secure.assert_error(401, "insufficient_user_authentication");
    // A route that reads `AuthUser` needs a token: 401.
    app.call(Method::GET, "/api/me", &[("x-api-key", &key)])
        .await
        .assert_error(401, "missing_token");
}

#[tokio::test]
async fn unknown_and_malformed_keys_are_401() {
    let app = App::new().await;
    let session = app.session("ada").await;
    let (_, key) = create(&app, &session, "ci").await;
    let mut altered = key.clone();
    altered.pop();
    altered.push(if key.ends_with('A') { 'B' } else { 'A' });
    for bad in [altered.as_str(), "ak_short", "", "Bearer x"] {
        let reply = echo(&app, &[("x-api-key", bad)]).await;
        reply.assert_error(401, "invalid_token");
        assert_eq!(
            reply.header("www-authenticate"),
            Some(INVALID_KEY_CHALLENGE),
            "{bad:?}"
        );
    }
    echo(&app, &[("x-api-key", &key), ("x-api-key", &key)])
        .await
        .assert_error(400, "invalid_request");
    echo(&app, &[]).await.assert_error(401, "missing_token");
}

#[tokio::test]
async fn a_bearer_token_wins_over_a_key() {
    let app = App::new().await;
    let ada = app.session("ada").await;
    let bob = app.session("bob").await;
    let (_, bobs_key) = create(&app, &bob, "ci").await;

    let both = echo(
        &app,
        &[("authorization", &ada.bearer()), ("x-api-key", &bobs_key)],
    )
    .await;
    assert_eq!(both.json(), json!({"sub": ada.user_id, "via": "bearer"}));
    let bad_key = echo(
        &app,
        &[("authorization", &ada.bearer()), ("x-api-key", "ak_nope")],
    )
    .await;
    assert_eq!(bad_key.json(), json!({"sub": ada.user_id, "via": "bearer"}));
    let bad_token = echo(
        &app,
        &[
            ("authorization", "Bearer not.a.jwt"),
            ("x-api-key", &bobs_key),
        ],
    )
    .await;
    bad_token.assert_error(401, "invalid_token");
}

#[tokio::test]
async fn deleting_a_key_stops_it_at_once_and_only_its_owner_may() {
    let app = App::new().await;
    let ada = app.session("ada").await;
    let bob = app.session("bob").await;
    let (id, key) = create(&app, &ada, "ci").await;
    let path = format!("/auth/api-keys/{id}");

    app.call(Method::DELETE, &path, &[])
        .await
        .assert_error(401, "missing_token");
    app.call(Method::DELETE, &path, &[("authorization", &bob.bearer())])
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        echo(&app, &[("x-api-key", &key)]).await.status,
        200,
        "bob could not delete it"
    );

    let deleted = app
        .call(Method::DELETE, &path, &[("authorization", &ada.bearer())])
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    echo(&app, &[("x-api-key", &key)])
        .await
        .assert_error(401, "invalid_token");
    app.call(Method::DELETE, &path, &[("authorization", &ada.bearer())])
        .await
        .assert_error(404, "not_found");
    app.call(
        Method::DELETE,
        "/auth/api-keys/%FF%FE",
        &[("authorization", &ada.bearer())],
    )
    .await
    .assert_error(404, "not_found");
}
