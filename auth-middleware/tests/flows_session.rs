//! `POST /auth/refresh`, `/auth/logout` and `/auth/logout-all` of `AuthRoutes`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod flows_support;

use std::time::Duration;

use auth_core::flow::FlowConfig;
use flows_support::{ATTRIBUTES, App, ORIGIN, Reply, Session};
use http::Method;

async fn refresh(app: &App, headers: &[(&str, &str)]) -> Reply {
    app.call(Method::POST, "/auth/refresh", headers).await
}

async fn me(app: &App, access: &str) -> Reply {
    app.call(
        Method::GET,
        "/api/me",
        &[("authorization", &format!("Bearer {access}"))],
    )
    .await
}

#[tokio::test]
async fn refresh_rotates_the_cookie() {
    let app = App::new().await;
    let session = app.session("ada").await;
    let reply = refresh(&app, &[("cookie", &session.refresh_cookie())]).await;
    reply.assert_tokens();
    let next = reply.cookie("__Host-refresh").unwrap();
    assert_ne!(next, session.refresh);
    let access = reply.json()["access_token"].as_str().unwrap().to_owned();
    let me = me(&app, &access).await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["sub"], session.user_id);

    // The next token works in turn.
    refresh(&app, &[("cookie", &format!("__Host-refresh={next}"))])
        .await
        .assert_tokens();
}

#[tokio::test]
async fn missing_and_unknown_refresh_cookies_are_invalid_grant() {
    let app = App::new().await;
    refresh(&app, &[]).await.assert_error(401, "invalid_grant");
    refresh(&app, &[("cookie", "theme=dark")])
        .await
        .assert_error(401, "invalid_grant");
    let unknown = refresh(
        &app,
        &[("cookie", &format!("__Host-refresh={}", "A".repeat(43)))],
    )
    .await;
    unknown.assert_error(401, "invalid_grant");
    assert_eq!(
        unknown.set_cookie("__Host-refresh"),
        Some(format!("__Host-refresh=; {ATTRIBUTES}; Max-Age=0").as_str()),
        "a refused refresh token is deleted"
    );
    refresh(&app, &[("cookie", "__Host-refresh=not valid; x=y")])
        .await
        .assert_error(401, "invalid_grant");
}

#[tokio::test]
async fn reuse_revokes_the_whole_family() {
    // Strict rotation: with the default reuse interval an immediate second
    // use would get the same successor (see the concurrent-tabs test).
    let app = App::with_config(FlowConfig::default().refresh_reuse_interval(Duration::ZERO)).await;
    let session = app.session("ada").await;
    let rotated = refresh(&app, &[("cookie", &session.refresh_cookie())]).await;
    rotated.assert_tokens();
    let newest = rotated.cookie("__Host-refresh").unwrap();
    let access = rotated.json()["access_token"].as_str().unwrap().to_owned();

    // The old token again: reuse.
    refresh(&app, &[("cookie", &session.refresh_cookie())])
        .await
        .assert_error(401, "invalid_grant");
    // The newest token of the family and its access tokens stop working.
    refresh(&app, &[("cookie", &format!("__Host-refresh={newest}"))])
        .await
        .assert_error(401, "invalid_grant");
    for access in [&access, &session.access] {
        let reply = me(&app, access).await;
        reply.assert_error(401, "invalid_token");
        assert!(
            reply
                .header("www-authenticate")
                .unwrap()
                .contains(r#"error="invalid_token""#)
        );
    }
}

#[tokio::test]
async fn refresh_refuses_other_origins() {
    let app = App::new().await;
    let session = app.session("ada").await;
    let cookie = session.refresh_cookie();
    for origin in [
        "https://evil.example",
        "null",
        "http://127.0.0.1:3000/",
        "HTTP://127.0.0.1:3000",
        "http://127.0.0.1:30000",
        "http://127.0.0.1",
        "https://127.0.0.1:3000",
    ] {
        let reply = refresh(&app, &[("cookie", &cookie), ("origin", origin)]).await;
        reply.assert_error(403, "forbidden");
        assert!(reply.set_cookies().is_empty(), "{origin}");
    }
    let twice = refresh(
        &app,
        &[
            ("cookie", &cookie),
            ("origin", ORIGIN),
            ("origin", "https://evil.example"),
        ],
    )
    .await;
    twice.assert_error(403, "forbidden");

    // None of those rotated the cookie; the app's own origin may.
    refresh(&app, &[("cookie", &cookie), ("origin", ORIGIN)])
        .await
        .assert_tokens();
}

#[tokio::test]
async fn logout_revokes_the_token_and_the_session_and_clears_the_cookie() {
    let app = App::new().await;
    let session = app.session("ada").await;
    let reply = app
        .call(
            Method::POST,
            "/auth/logout",
            &[
                ("authorization", &session.bearer()),
                ("cookie", &session.refresh_cookie()),
            ],
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert!(reply.body.is_empty());
    assert_eq!(
        reply.set_cookie("__Host-refresh"),
        Some(format!("__Host-refresh=; {ATTRIBUTES}; Max-Age=0").as_str())
    );
    me(&app, &session.access)
        .await
        .assert_error(401, "invalid_token");
    refresh(&app, &[("cookie", &session.refresh_cookie())])
        .await
        .assert_error(401, "invalid_grant");
    // Logging out again needs a valid token.
    app.call(
        Method::POST,
        "/auth/logout",
        &[("authorization", &session.bearer())],
    )
    .await
    .assert_error(401, "invalid_token");
}

#[tokio::test]
async fn logout_without_a_token_is_401() {
    let app = App::new().await;
    let session = app.session("ada").await;
    let reply = app
        .call(
            Method::POST,
            "/auth/logout",
            &[("cookie", &session.refresh_cookie())],
        )
        .await;
    reply.assert_error(401, "missing_token");
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer realm="auth-demo""#)
    );
    // The session lives on.
    refresh(&app, &[("cookie", &session.refresh_cookie())])
        .await
        .assert_tokens();
}

#[tokio::test]
async fn logout_all_ends_every_session_of_the_user_only() {
    let app = App::new().await;
    let first = app.session("ada").await;
    let second: Session = app.login("ada").await;
    let bob = app.session("bob").await;

    app.call(Method::POST, "/auth/logout-all", &[])
        .await
        .assert_error(401, "missing_token");
    let reply = app
        .call(
            Method::POST,
            "/auth/logout-all",
            &[("authorization", &second.bearer())],
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text());

    for session in [&first, &second] {
        me(&app, &session.access)
            .await
            .assert_error(401, "invalid_token");
        refresh(&app, &[("cookie", &session.refresh_cookie())])
            .await
            .assert_error(401, "invalid_grant");
    }
    assert_eq!(me(&app, &bob.access).await.status, 200);
    refresh(&app, &[("cookie", &bob.refresh_cookie())])
        .await
        .assert_tokens();
}
