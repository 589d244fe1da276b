//! The app's wiring, in process: what the configuration turns on and off,
//! and the answers that need no password hashing. The flows over real HTTP
//! are the end-to-end tests' (the `auth-e2e` package in tests/).

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt as _;

use super::config::{self, Config};
use super::{App, Error};

fn config(pairs: &[(&str, &str)]) -> Config {
    let vars: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_vars(&vars).unwrap()
}

async fn app(pairs: &[(&str, &str)]) -> axum::Router {
    App::build(&config(pairs)).await.unwrap().into_router()
}

async fn send(router: &axum::Router, request: Request<Body>) -> axum::response::Response {
    router.clone().oneshot(request).await.unwrap()
}

async fn get(router: &axum::Router, path: &str) -> axum::response::Response {
    send(router, Request::get(path).body(Body::empty()).unwrap()).await
}

async fn json(response: axum::response::Response) -> Value {
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn unreachable_stores_and_providers_stop_the_start() {
    // Port 1 on the loopback: nothing listens, so the refusal is immediate.
    for url in [
        "redis://:hunter2@127.0.0.1:1",
        "postgres://app:hunter2@127.0.0.1:1/auth",
        "postgresql://app:hunter2@127.0.0.1:1/auth",
    ] {
        let error = App::build(&config(&[(config::STORE, url)]))
            .await
            .unwrap_err();
        let message = error.to_string();
        assert!(message.starts_with("AUTH_DEMO_STORE: "), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }

    // A provider that does not answer discovery stops the start too.
    let oidc = App::build(&config(&[
        (config::OIDC_ISSUER, "http://127.0.0.1:1"),
        (config::OIDC_CLIENT_ID, "demo"),
        (config::OIDC_CLIENT_SECRET, "hunter2"),
    ]))
    .await
    .unwrap_err();
    let message = oidc.to_string();
    assert!(
        matches!(
            oidc,
            Error::Setup {
                variable: config::OIDC_ISSUER,
                ..
            }
        ),
        "{message}"
    );
    assert!(
        !message.contains("hunter2") && !message.contains('\n'),
        "{message}"
    );
}

#[tokio::test]
async fn the_jwks_lists_asymmetric_keys_only() {
    let eddsa = json(get(&app(&[]).await, "/.well-known/jwks.json").await).await;
    let keys = eddsa["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        (keys[0]["alg"].as_str(), keys[0]["use"].as_str()),
        (Some("EdDSA"), Some("sig"))
    );
    assert!(keys[0]["kid"].is_string());

    let hs256 = app(&[(config::ALG, "HS256")]).await;
    assert_eq!(
        json(get(&hs256, "/.well-known/jwks.json").await).await,
        serde_json::json!({"keys": []})
    );
}

#[tokio::test]
async fn a_key_folder_keeps_the_key_across_starts() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("keys");
    let folder = folder.to_str().unwrap();
    let kid = |jwks: Value| jwks["keys"][0]["kid"].as_str().unwrap().to_owned();
    let first = kid(json(
        get(
            &app(&[(config::KEY_DIR, folder), (config::ALG, "ES256")]).await,
            "/.well-known/jwks.json",
        )
        .await,
    )
    .await);
    let second = kid(json(
        get(
            &app(&[(config::KEY_DIR, folder), (config::ALG, "ES256")]).await,
            "/.well-known/jwks.json",
        )
        .await,
    )
    .await);
    assert_eq!(first, second);

    let other_alg = App::build(&config(&[
        (config::KEY_DIR, folder),
        (config::ALG, "EdDSA"),
    ]))
    .await;
    assert!(matches!(
        other_alg,
        Err(Error::Setup {
            variable: config::KEY_DIR,
            ..
        })
    ));
}

/// A token another service signed with the shared secret, without a `kid`.
fn peer_token(secret: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.typ = Some("at+jwt".into());
    let claims = serde_json::json!({
        "iss": "http://localhost:3000", "aud": "auth-demo", "sub": "peer-user",
        "iat": now, "nbf": now, "exp": now + 300, "jti": "peer-1", "amr": ["pwd"], "roles": [],
    });
    jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn tokens_of_the_trusted_hs256_peer_are_accepted_only_when_configured() {
    let secret = "a shared secret of at least thirty-two bytes";
    let token = peer_token(secret);
    let me = |router: axum::Router| {
        let token = token.clone();
        async move {
            let request = Request::get("/api/me")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap();
            send(&router, request).await
        }
    };
    let trusting = me(app(&[(config::TRUSTED_HS256_SECRET, secret)]).await).await;
    assert_eq!(trusting.status(), StatusCode::OK);
    let body = json(trusting).await;
    assert_eq!(body["sub"], "peer-user");
    assert_eq!(
        body["username"],
        Value::Null,
        "no account here for the peer's user"
    );

    let other_secret = me(app(&[(config::TRUSTED_HS256_SECRET, &"x".repeat(32))]).await).await;
    assert_eq!(other_secret.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(me(app(&[]).await).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refusals_carry_the_realm_and_unknown_routes_are_json_404s() {
    let router = app(&[]).await;
    let me = get(&router, "/api/me").await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        me.headers()[header::WWW_AUTHENTICATE],
        r#"Bearer realm="auth-demo""#
    );

    for path in [
        "/auth/oidc/login",
        "/auth/oidc/callback?code=c&state=s",
        "/nothing/here",
    ] {
        let response = get(&router, path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(json(response).await["error"], "not_found", "{path}");
    }
    assert_eq!(get(&router, "/healthz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn pages_without_a_session_go_to_the_login_form() {
    let router = app(&[]).await;
    let account = get(&router, "/account").await;
    assert_eq!(account.status(), StatusCode::SEE_OTHER);
    assert_eq!(account.headers()[header::LOCATION], "/login");
    // The code form is there, but without a password step it leads back to /login.
    assert_eq!(get(&router, "/mfa").await.status(), StatusCode::OK);
    let code = Request::post("/mfa")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("code=123456"))
        .unwrap();
    let code = send(&router, code).await;
    assert_eq!(code.status(), StatusCode::SEE_OTHER);
    assert_eq!(code.headers()[header::LOCATION], "/login");
    let login = get(&router, "/login").await;
    assert_eq!(login.status(), StatusCode::OK);
    assert_eq!(login.headers()[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn form_posts_from_another_origin_are_refused() {
    let router = app(&[]).await;
    let post = |path: &str, origin: Option<&str>| {
        let mut request =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        request.body(Body::from("code=123456")).unwrap()
    };
    for path in [
        "/login",
        "/mfa",
        "/logout",
        "/account/totp",
        "/account/totp/confirm",
    ] {
        let foreign = send(&router, post(path, Some("https://evil.example"))).await;
        assert_eq!(foreign.status(), StatusCode::FORBIDDEN, "{path}");
        let own = send(&router, post(path, Some("http://localhost:3000"))).await;
        assert_ne!(own.status(), StatusCode::FORBIDDEN, "{path}");
    }
}
