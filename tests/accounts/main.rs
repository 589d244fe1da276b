//! auth-demo over HTTP: registration, the password step, throttling, and the
//! token and key endpoints (its README, "Endpoints" and "Tokens").
// End-to-end tests: a failed step panics, which is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Demo, Session, claims, set_cookie, unique};

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn register_answers_201_409_and_422() {
    let demo = Demo::start(&[]).await;
    let name = unique("reg");
    let id = demo.register(&name, PASSWORD).await;
    assert!(!id.is_empty());

    let again = demo
        .post_json(
            "/auth/register",
            json!({"username": name, "password": PASSWORD}),
        )
        .await;
    assert_eq!(again.status(), 409);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "username_taken"
    );

    let long = "p".repeat(129);
    let weak = [("short77", unique("w")), (long.as_str(), unique("w"))];
    for (password, username) in weak {
        let response = demo
            .post_json(
                "/auth/register",
                json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(
            response.status(),
            422,
            "password of {} chars",
            password.chars().count()
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "weak_password");
        assert!(body["error_description"].is_string());
    }
    let same = unique("samesame");
    let response = demo
        .post_json(
            "/auth/register",
            json!({"username": same, "password": same}),
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "weak_password"
    );
}

#[tokio::test]
async fn login_issues_an_rfc9068_token_and_a_host_refresh_cookie() {
    let demo = Demo::start(&[]).await;
    let name = unique("login");
    let id = demo.register(&name, PASSWORD).await;
    let response = demo
        .post_json(
            "/auth/login",
            json!({"username": name, "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let cookie = set_cookie(&response, "__Host-refresh").expect("refresh cookie");
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=1209600",
    ] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing from {cookie}"
        );
    }
    assert!(!cookie.contains("Domain"), "__Host- cookies have no Domain");
    let session = Session::from_token_response(response).await;
    assert_eq!(session.body["expires_in"], 900);
    assert!(session.refresh.len() >= 43, "at least 256 bits");

    let header: Value = {
        use base64::Engine as _;
        let h = session.access.split('.').next().unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(h)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "EdDSA");
    assert!(header["kid"].is_string());
    let c = claims(&session.access);
    assert_eq!(c["sub"], id.as_str());
    assert_eq!(c["iss"], "http://localhost:3000");
    assert_eq!(c["aud"], "auth-demo");
    assert_eq!(c["amr"], json!(["pwd"]));
    assert_eq!(c["roles"], json!([]));
    for claim in ["iat", "nbf", "exp", "jti", "sid", "auth_time"] {
        assert!(!c[claim].is_null(), "claim {claim} missing");
    }

    let me = demo.get_bearer("/api/me", &session.access).await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(
        me,
        json!({"sub": id, "username": name, "amr": ["pwd"], "roles": []})
    );
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let demo = Demo::start(&[]).await;
    let name = unique("same");
    demo.register(&name, PASSWORD).await;
    let wrong = demo
        .post_json(
            "/auth/login",
            json!({"username": name, "password": "not the password"}),
        )
        .await;
    let unknown = demo
        .post_json(
            "/auth/login",
            json!({"username": unique("ghost"), "password": "not the password"}),
        )
        .await;
    for response in [&wrong, &unknown] {
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers()["www-authenticate"],
            r#"Bearer realm="auth-demo""#
        );
        assert!(set_cookie(response, "__Host-refresh").is_none());
    }
    let wrong: Value = wrong.json().await.unwrap();
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["error"], "invalid_credentials");
}

#[tokio::test]
async fn failures_throttle_the_account_even_for_the_right_password() {
    let demo = Demo::start(&[("AUTH_DEMO_LOGIN_MAX_FAILURES", "3")]).await;
    let name = unique("throttle");
    demo.register(&name, PASSWORD).await;
    for _ in 0..3 {
        let response = demo
            .post_json(
                "/auth/login",
                json!({"username": name, "password": "wrong password"}),
            )
            .await;
        assert_eq!(response.status(), 401);
    }
    let response = demo
        .post_json(
            "/auth/login",
            json!({"username": name, "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "too_many_attempts"
    );
}

#[tokio::test]
async fn a_ten_thousand_character_password_is_refused_at_once() {
    let demo = Demo::start(&[]).await;
    let name = unique("long");
    demo.register(&name, PASSWORD).await;
    let huge = "x".repeat(10_000);
    let started = Instant::now();
    let response = demo
        .post_json("/auth/login", json!({"username": name, "password": huge}))
        .await;
    let elapsed = started.elapsed();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_credentials"
    );
    // The issue's requirement: refused in under a second, without hashing. The
    // refusal does no argon2 work at all, so this bound is two orders of
    // magnitude away from the real cost; the structural proof (no hash is
    // started) is auth-core's flow test.
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}

/// Login timing must not tell whether a username exists: the medians for an
/// unknown user and for a wrong password stay within a factor of 2.
#[tokio::test]
async fn login_timing_does_not_reveal_usernames() {
    let demo = Demo::start(&[("AUTH_DEMO_LOGIN_MAX_FAILURES", "1000")]).await;
    let name = unique("timing");
    demo.register(&name, PASSWORD).await;
    let attempt = |username: String| {
        let demo = &demo;
        async move {
            let started = Instant::now();
            let response = demo
                .post_json(
                    "/auth/login",
                    json!({"username": username, "password": "wrong password"}),
                )
                .await;
            assert_eq!(response.status(), 401);
            started.elapsed()
        }
    };
    // Warm up both paths.
    attempt(name.clone()).await;
    attempt(unique("nobody")).await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        known.push(attempt(name.clone()).await);
        unknown.push(attempt(unique("nobody")).await);
    }
    known.sort();
    unknown.sort();
    let (k, u) = (known[known.len() / 2], unknown[unknown.len() / 2]);
    let ratio = k.as_secs_f64() / u.as_secs_f64();
    println!("median login: wrong password {k:?}, unknown user {u:?}, ratio {ratio:.2}");
    assert!((0.5..=2.0).contains(&ratio), "ratio {ratio}");
}

#[tokio::test]
async fn jwks_healthz_and_unconfigured_oidc() {
    let demo = Demo::start(&[]).await;
    let jwks: Value = demo
        .http
        .get(demo.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["alg"], "EdDSA");
    assert_eq!(keys[0]["use"], "sig");
    assert_eq!(keys[0]["kty"], "OKP");
    assert!(keys[0]["kid"].is_string());
    assert!(keys[0].get("d").is_none(), "no private part");

    let health = demo.http.get(demo.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    for path in ["/auth/oidc/login", "/auth/oidc/callback?code=x&state=y"] {
        assert_eq!(
            demo.http.get(demo.url(path)).send().await.unwrap().status(),
            404,
            "{path}"
        );
    }

    let hs = Demo::start(&[("AUTH_DEMO_ALG", "HS256")]).await;
    let jwks: Value = hs
        .http
        .get(hs.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks, json!({"keys": []}));
}

#[tokio::test]
async fn every_algorithm_issues_tokens_that_verify() {
    for alg in ["EdDSA", "ES256", "RS256", "HS256"] {
        let demo = Demo::start(&[("AUTH_DEMO_ALG", alg)]).await;
        let name = unique("alg");
        demo.register(&name, PASSWORD).await;
        let session = demo.login(&name, PASSWORD).await;
        let me = demo.get_bearer("/api/me", &session.access).await;
        assert_eq!(me.status(), 200, "{alg}");
    }
}

#[tokio::test]
async fn bad_json_bodies_get_4xx_never_500() {
    let demo = Demo::start(&[]).await;
    let post = |body: &'static str, content_type: Option<&'static str>| {
        let mut request = demo.http.post(demo.url("/auth/login")).body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        request.send()
    };
    let cases = [
        (
            post("{not json", Some("application/json")).await.unwrap(),
            400,
        ),
        (
            post(
                r#"{"username": 5, "password": []}"#,
                Some("application/json"),
            )
            .await
            .unwrap(),
            422,
        ),
        (
            post(r#"{"username": "a"}"#, Some("application/json"))
                .await
                .unwrap(),
            422,
        ),
        (
            post(r#"{"username":"a","password":"b"}"#, None)
                .await
                .unwrap(),
            415,
        ),
        (
            post(r#"{"username":"a","password":"b"}"#, Some("text/plain"))
                .await
                .unwrap(),
            415,
        ),
    ];
    for (response, status) in cases {
        assert_eq!(response.status(), status);
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"].is_string() && body["error_description"].is_string(),
            "{body}"
        );
    }
    let big = format!(
        r#"{{"username":"a","password":"{}"}}"#,
        "x".repeat(20 * 1024)
    );
    let response = demo
        .http
        .post(demo.url("/auth/register"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn the_admin_user_gets_the_admin_role() {
    let demo = Demo::start(&[]).await;
    demo.register("admin", PASSWORD).await;
    let admin = demo.login("admin", PASSWORD).await;
    assert_eq!(claims(&admin.access)["roles"], json!(["admin"]));
    assert_eq!(
        demo.get_bearer("/api/admin", &admin.access).await.status(),
        200
    );

    let name = unique("user");
    demo.register(&name, PASSWORD).await;
    let user = demo.login(&name, PASSWORD).await;
    let response = demo.get_bearer("/api/admin", &user.access).await;
    assert_eq!(response.status(), 403);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains(r#"error="insufficient_scope""#)
    );
}

#[tokio::test]
async fn every_401_carries_the_bearer_challenge() {
    let demo = Demo::start(&[]).await;
    let none = demo.http.get(demo.url("/api/me")).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(
        none.headers()["www-authenticate"],
        r#"Bearer realm="auth-demo""#
    );
    for token in [
        "garbage",
        "a.b.c",
        "eyJhbGciOiJub25lIn0.e30.",
        &"A".repeat(9000),
    ] {
        let response = demo.get_bearer("/api/me", token).await;
        assert_eq!(response.status(), 401);
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.starts_with(r#"Bearer realm="auth-demo""#),
            "{challenge}"
        );
        assert!(
            challenge.contains(r#"error="invalid_token""#),
            "{challenge}"
        );
    }
}

/// `AUTH_DEMO_TRUSTED_HS256_SECRET`: tokens another service signs with the
/// shared secret (same iss/aud, `typ: at+jwt`, no `kid`) are accepted; the
/// same token signed with another secret, or without the access-token type, is not.
#[tokio::test]
async fn tokens_of_a_trusted_hs256_peer_are_accepted() {
    const SECRET: &str = "a shared secret of at least thirty-two bytes!";
    let demo = Demo::start(&[("AUTH_DEMO_TRUSTED_HS256_SECRET", SECRET)]).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "iss": "http://localhost:3000", "aud": "auth-demo", "sub": "peer-user",
        "iat": now, "nbf": now, "exp": now + 300, "jti": unique("peer"), "amr": ["pwd"], "roles": []
    });
    let sign = |secret: &str, typ: &str| {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.typ = Some(typ.to_owned());
        jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let echo = demo
        .get_bearer("/api/key-echo", &sign(SECRET, "at+jwt"))
        .await;
    assert_eq!(echo.status(), 200);
    assert_eq!(
        echo.json::<Value>().await.unwrap(),
        json!({"sub": "peer-user", "via": "bearer"})
    );

    let other = sign("another secret, also thirty-two bytes long", "at+jwt");
    assert_eq!(demo.get_bearer("/api/key-echo", &other).await.status(), 401);
    let untyped = sign(SECRET, "JWT");
    assert_eq!(
        demo.get_bearer("/api/key-echo", &untyped).await.status(),
        401
    );
}
