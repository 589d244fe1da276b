//! Tokens from elsewhere and refreshes at once: a peer's, a long-lived one, two tabs.

use super::*;

const PEER_SECRET: &str = "a shared secret of at least thirty-two bytes!";

/// A token the trusted HS256 peer signs for `sub`, living `lifetime` seconds,
/// claiming the admin role and a second factor.
fn peer_token(sub: &str, lifetime: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "iss": "http://localhost:3000", "aud": "auth-demo", "sub": sub,
        "iat": now, "nbf": now, "exp": now + lifetime, "jti": unique("peer"),
        "auth_time": now, "amr": ["pwd", "otp", "mfa"], "roles": ["admin"],
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.typ = Some("at+jwt".to_owned());
    jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(PEER_SECRET.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn a_peer_token_says_who_the_caller_is_and_grants_nothing() {
    let demo = Demo::start(&[("AUTH_DEMO_TRUSTED_HS256_SECRET", PEER_SECRET)]).await;
    let name = unique("local");
    let user_id = demo.register(&name, PASSWORD).await;
    let token = peer_token(&user_id, 300);

    let me = demo.get_bearer("/api/me", &token).await;
    assert_eq!(me.status(), 200, "identity is trusted");
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["sub"], user_id.as_str());
    assert_eq!(me["roles"], json!([]), "its roles are ignored");
    assert_eq!(me["amr"], json!([]), "its amr is ignored");
    let admin = demo.get_bearer("/api/admin", &token).await;
    assert_eq!(admin.status(), 403);
    let secure = demo.get_bearer("/api/secure", &token).await;
    assert_eq!(secure.status(), 401);
    assert!(challenge(&secure).contains("insufficient_user_authentication"));
    assert_eq!(demo.get_bearer("/api/recent", &token).await.status(), 401);

    // On /auth/* it is not a token of this app at all.
    for (path, body) in [
        ("/auth/api-keys", Some(json!({"name": "peer"}))),
        ("/auth/mfa/totp/enroll", None),
        ("/auth/logout-all", None),
        ("/auth/logout", None),
    ] {
        let response = match body {
            Some(body) => demo.post_json_bearer(path, &token, body).await,
            None => demo.post_bearer(path, &token).await,
        };
        assert_eq!(response.status(), 401, "{path}");
        assert!(
            challenge(&response).contains(r#"error="invalid_token""#),
            "{path}"
        );
    }
    // The local user's own login is untouched by all of it.
    let own = demo.login(&name, PASSWORD).await;
    assert_eq!(demo.get_bearer("/api/me", &own.access).await.status(), 200);
}

#[tokio::test]
async fn tokens_living_longer_than_the_access_ttl_are_refused() {
    // A revocation of a user is kept as long as one of this app's tokens
    // lives; a token minted to live longer would outlive it.
    let demo = Demo::start(&[
        ("AUTH_DEMO_TRUSTED_HS256_SECRET", PEER_SECRET),
        ("AUTH_DEMO_ACCESS_TTL", "600"),
    ])
    .await;
    let user_id = demo.register(&unique("long"), PASSWORD).await;
    assert_eq!(
        demo.get_bearer("/api/me", &peer_token(&user_id, 600))
            .await
            .status(),
        200
    );
    let long = demo
        .get_bearer("/api/me", &peer_token(&user_id, 3600))
        .await;
    assert_eq!(long.status(), 401);
    assert!(challenge(&long).contains("invalid_token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_tabs_refreshing_at_once_share_one_successor_on_every_store() {
    for (store, url) in stores() {
        let demo = Demo::start(&[
            ("AUTH_DEMO_STORE", &url),
            ("AUTH_DEMO_REFRESH_REUSE_INTERVAL", "1"),
        ])
        .await;
        let name = unique("tabs");
        demo.register(&name, PASSWORD).await;
        let first = demo.login(&name, PASSWORD).await;
        let (a, b) = tokio::join!(demo.refresh(&first.refresh), demo.refresh(&first.refresh));
        assert_eq!(
            (a.status().as_u16(), b.status().as_u16()),
            (200, 200),
            "{store}: both tabs"
        );
        let (a, b) = (
            Session::from_token_response(a).await,
            Session::from_token_response(b).await,
        );
        assert_eq!(
            a.refresh, b.refresh,
            "{store}: one successor, no new branch"
        );
        assert_ne!(a.refresh, first.refresh);
        for session in [&a, &b] {
            assert_eq!(
                demo.get_bearer("/api/me", &session.access).await.status(),
                200
            );
        }
        // Past the interval the parent is reuse: the family is revoked.
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(demo.refresh(&first.refresh).await.status(), 401, "{store}");
        assert_eq!(demo.refresh(&a.refresh).await.status(), 401, "{store}");
        assert_eq!(
            demo.get_bearer("/api/me", &a.access).await.status(),
            401,
            "{store}"
        );
        demo.stop().await;
    }
}
