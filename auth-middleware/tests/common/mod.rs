//! What the integration tests share: tokens, and one suite of checks that every
//! kind of service (axum, tower, hyper over TCP) must pass behind the layer.
#![allow(dead_code, unreachable_pub)] // each test binary uses part of it

use auth_core::{Algorithm, KeySet, TokenIssuer, TokenRequest};
use auth_middleware::AuthLayer;
use http::HeaderMap;

pub const REALM: &str = "test-realm";
pub const ISSUER: &str = "https://id.test";
pub const AUDIENCE: &str = "test-api";

pub const MISSING_CHALLENGE: &str = r#"Bearer realm="test-realm""#;
pub const INVALID_TOKEN_CHALLENGE: &str = r#"Bearer realm="test-realm", error="invalid_token", error_description="the access token is invalid""#;

/// Headers of a request, in order, duplicates allowed.
pub type Headers = Vec<(&'static str, String)>;

/// Tokens good and bad.
pub struct Tokens {
    pub issuer: TokenIssuer,
    /// Same `iss` and `aud`, another key: its tokens are forgeries to `issuer`.
    pub stranger: TokenIssuer,
}

impl Tokens {
    pub fn new() -> Self {
        let keys = || KeySet::generate(Algorithm::EdDSA).unwrap();
        Tokens {
            issuer: TokenIssuer::new(keys(), ISSUER, AUDIENCE),
            stranger: TokenIssuer::new(keys(), ISSUER, AUDIENCE),
        }
    }

    pub fn token(&self, request: TokenRequest) -> String {
        self.issuer.issue(&request).unwrap().access_token
    }

    pub fn user(&self, subject: &str) -> String {
        self.token(TokenRequest::new(subject).amr(["pwd"]))
    }

    /// Tokens that each fail one check, all of which must look alike to the client.
    pub fn invalid(&self) -> Vec<(&'static str, String)> {
        let expired = self
            .issuer
            .issue_at(&TokenRequest::new("late"), &(), 1_000_000_000)
            .unwrap()
            .access_token;
        let revoked = self.issuer.issue(&TokenRequest::new("gone")).unwrap();
        self.issuer
            .revocations()
            .revoke_jti(&revoked.jti, revoked.expires_at);
        let forged = self
            .stranger
            .issue(&TokenRequest::new("mallory"))
            .unwrap()
            .access_token;
        let mut tampered = self.user("ada");
        tampered.push('A');
        vec![
            ("garbage", "not-a-jwt".to_owned()),
            ("expired", expired),
            ("revoked", revoked.access_token),
            ("forged", forged),
            ("tampered", tampered),
        ]
    }

    pub fn layer(&self) -> AuthLayer {
        AuthLayer::bearer(self.issuer.verifier()).realm(REALM)
    }
}

/// A response as the client saw it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// The standard refusal: status, challenge, JSON body with `code`, no caching.
    #[track_caller]
    pub fn assert_refused(&self, status: u16, challenge: &str, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.header("www-authenticate"), Some(challenge));
        assert_eq!(self.header("content-type"), Some("application/json"));
        assert_eq!(self.header("cache-control"), Some("no-store"));
        assert_eq!(self.json()["error"], code);
        assert!(self.json()["error_description"].is_string());
    }
}

pub fn bearer(token: &str) -> Headers {
    vec![("authorization", format!("Bearer {token}"))]
}

/// The behind-`Tokens::layer` checks. The service behind the layer answers
/// 200 with the subject of the verified user, or `anonymous`.
pub async fn bearer_suite(tokens: &Tokens, send: impl AsyncFn(Headers) -> Reply) {
    let token = tokens.user("ada");

    let ok = send(bearer(&token)).await;
    assert_eq!((ok.status, ok.text()), (200, "ada"));

    for scheme in ["bearer", "BEARER", "bEaReR"] {
        let reply = send(vec![("authorization", format!("{scheme} {token}"))]).await;
        assert_eq!(
            (reply.status, reply.text()),
            (200, "ada"),
            "scheme {scheme}"
        );
    }

    let none = send(vec![]).await;
    none.assert_refused(401, MISSING_CHALLENGE, "missing_token");

    let basic = send(vec![("authorization", "Basic YWRhOnNlY3JldA==".to_owned())]).await;
    basic.assert_refused(401, MISSING_CHALLENGE, "missing_token");

    for (what, bad) in tokens.invalid() {
        let reply = send(bearer(&bad)).await;
        reply.assert_refused(401, INVALID_TOKEN_CHALLENGE, "invalid_token");
        assert_eq!(
            reply.json(),
            serde_json::json!({"error": "invalid_token", "error_description": "the access token is invalid"}),
            "{what}: the client must not learn which check failed"
        );
    }

    let twice = send(vec![
        ("authorization", format!("Bearer {token}")),
        ("authorization", format!("Bearer {token}")),
    ])
    .await;
    twice.assert_refused(
        400,
        r#"Bearer realm="test-realm", error="invalid_request", error_description="the request has more than one Authorization header""#,
        "invalid_request",
    );

    let empty = send(vec![("authorization", "Bearer ".to_owned())]).await;
    assert_eq!(empty.status, 400);
    assert_eq!(empty.json()["error"], "invalid_request");
}

/// The checks for `Tokens::layer().optional()`.
pub async fn optional_suite(tokens: &Tokens, send: impl AsyncFn(Headers) -> Reply) {
    let anonymous = send(vec![]).await;
    assert_eq!((anonymous.status, anonymous.text()), (200, "anonymous"));

    let ok = send(bearer(&tokens.user("ada"))).await;
    assert_eq!((ok.status, ok.text()), (200, "ada"));

    for (_, bad) in tokens.invalid() {
        send(bearer(&bad))
            .await
            .assert_refused(401, INVALID_TOKEN_CHALLENGE, "invalid_token");
    }
    let twice = send(vec![
        ("authorization", "Bearer a".into()),
        ("authorization", "Bearer b".into()),
    ])
    .await;
    assert_eq!(twice.status, 400);
}

/// The checks for a layer reading the header first, then `__Host-access`.
pub fn cookie_layer(tokens: &Tokens) -> AuthLayer {
    AuthLayer::new(tokens.issuer.verifier())
        .bearer_header()
        .cookie("__Host-access")
        .realm(REALM)
}

pub async fn cookie_suite(tokens: &Tokens, send: impl AsyncFn(Headers) -> Reply) {
    let ada = tokens.user("ada");
    let bob = tokens.user("bob");
    let cookie = |token: &str| {
        (
            "cookie",
            format!("theme=dark; __Host-access={token}; lang=en"),
        )
    };

    let from_cookie = send(vec![cookie(&ada)]).await;
    assert_eq!((from_cookie.status, from_cookie.text()), (200, "ada"));

    let header_first = send(vec![
        ("authorization", format!("Bearer {bob}")),
        cookie(&ada),
    ])
    .await;
    assert_eq!((header_first.status, header_first.text()), (200, "bob"));

    let basic_then_cookie = send(vec![("authorization", "Basic eDp5".into()), cookie(&ada)]).await;
    assert_eq!(
        (basic_then_cookie.status, basic_then_cookie.text()),
        (200, "ada")
    );

    let bad_header = send(vec![
        ("authorization", "Bearer not-a-jwt".into()),
        cookie(&ada),
    ])
    .await;
    bad_header.assert_refused(401, INVALID_TOKEN_CHALLENGE, "invalid_token");

    let bad_cookie = send(vec![cookie("not-a-jwt")]).await;
    bad_cookie.assert_refused(401, INVALID_TOKEN_CHALLENGE, "invalid_token");

    let other_cookies = send(vec![("cookie", "theme=dark".into())]).await;
    other_cookies.assert_refused(401, MISSING_CHALLENGE, "missing_token");
}
