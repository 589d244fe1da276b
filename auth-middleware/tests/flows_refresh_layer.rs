//! `RefreshLayer`: transparent refresh of a page's session from its cookies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod flows_support;

use auth_core::TokenRequest;
use flows_support::{ATTRIBUTES, App, Reply, Session};
use http::Method;

/// An access token of `user_id` that expired long ago.
fn expired_access(app: &App, user_id: &str) -> String {
    app.auth
        .issuer()
        .issue_at(&TokenRequest::new(user_id).amr(["pwd"]), &(), 1_000_000_000)
        .unwrap()
        .access_token
}

async fn page(app: &App, path: &str, cookie: &str) -> Reply {
    app.call(Method::GET, path, &[("cookie", cookie)]).await
}

async fn refresh_works(app: &App, refresh: &str) -> bool {
    let reply = app
        .call(
            Method::POST,
            "/auth/refresh",
            &[("cookie", &format!("__Host-refresh={refresh}"))],
        )
        .await;
    reply.status == 200
}

fn cleared(name: &str) -> String {
    format!("{name}=; {ATTRIBUTES}; Max-Age=0")
}

#[tokio::test]
async fn an_expired_access_cookie_is_refreshed_on_the_request() {
    let app = App::new().await;
    let session: Session = app.session("ada").await;
    let cookie = format!(
        "theme=dark; __Host-access={}; {}",
        expired_access(&app, &session.user_id),
        session.refresh_cookie()
    );
    let reply = page(&app, "/account", &cookie).await;
    assert_eq!(
        (reply.status, reply.text()),
        (200, session.user_id.as_str())
    );

    let access = reply.cookie("__Host-access").unwrap();
    let refresh = reply.cookie("__Host-refresh").unwrap();
    assert_eq!(
        reply.set_cookie("__Host-access").unwrap(),
        format!("__Host-access={access}; {ATTRIBUTES}; Max-Age=1209600")
    );
    assert_eq!(
        reply.set_cookie("__Host-refresh").unwrap(),
        format!("__Host-refresh={refresh}; {ATTRIBUTES}; Max-Age=1209600")
    );
    assert_eq!(
        app.auth.verifier().verify(&access).unwrap().subject(),
        session.user_id
    );
    assert_ne!(refresh, session.refresh, "the refresh token was rotated");

    // The new cookies carry the session on; the old refresh token is retired.
    let next = page(
        &app,
        "/account",
        &format!("__Host-access={access}; __Host-refresh={refresh}"),
    )
    .await;
    assert_eq!((next.status, next.text()), (200, session.user_id.as_str()));
    assert!(
        next.set_cookies().is_empty(),
        "a live access cookie needs nothing"
    );
    assert!(refresh_works(&app, &refresh).await);
    assert!(!refresh_works(&app, &session.refresh).await);
}

#[tokio::test]
async fn a_missing_access_cookie_is_refreshed_too() {
    let app = App::new().await;
    let session = app.session("ada").await;
    let reply = page(&app, "/account", &session.refresh_cookie()).await;
    assert_eq!(
        (reply.status, reply.text()),
        (200, session.user_id.as_str())
    );
    assert!(reply.cookie("__Host-access").is_some());
    assert!(reply.cookie("__Host-refresh").is_some());
}

#[tokio::test]
async fn an_invalid_refresh_cookie_clears_both_and_goes_on_anonymous() {
    let app = App::new().await;
    let session = app.session("ada").await;
    let expired = expired_access(&app, &session.user_id);
    for refresh in ["A".repeat(43), "garbage".to_owned()] {
        let cookie = format!("__Host-access={expired}; __Host-refresh={refresh}");
        let reply = page(&app, "/account", &cookie).await;
        assert_eq!((reply.status, reply.text()), (200, "anonymous"));
        let mut set = reply.set_cookies();
        set.sort_unstable();
        assert_eq!(set, [cleared("__Host-access"), cleared("__Host-refresh")]);
    }

    // A logged-out session's refresh cookie is refused the same way.
    app.call(
        Method::POST,
        "/auth/logout",
        &[
            ("authorization", &session.bearer()),
            ("cookie", &session.refresh_cookie()),
        ],
    )
    .await;
    let reply = page(&app, "/account", &session.refresh_cookie()).await;
    assert_eq!((reply.status, reply.text()), (200, "anonymous"));
    assert_eq!(
        reply.set_cookie("__Host-refresh"),
        Some(cleared("__Host-refresh").as_str())
    );
}

#[tokio::test]
async fn a_dead_access_cookie_without_refresh_cookie_is_dropped() {
    let app = App::new().await;
    let session = app.session("ada").await;
    for access in [
        expired_access(&app, &session.user_id),
        "not-a-jwt".to_owned(),
    ] {
        let reply = page(&app, "/account", &format!("__Host-access={access}")).await;
        assert_eq!((reply.status, reply.text()), (200, "anonymous"));
        assert_eq!(reply.set_cookies(), [cleared("__Host-access")]);
    }
    let nothing = page(&app, "/account", "theme=dark").await;
    assert_eq!((nothing.status, nothing.text()), (200, "anonymous"));
    assert!(nothing.set_cookies().is_empty());
}

#[tokio::test]
async fn a_live_access_cookie_passes_untouched() {
    let app = App::new().await;
    let session = app.session("ada").await;
    let cookie = format!(
        "__Host-access={}; {}",
        session.access,
        session.refresh_cookie()
    );
    let reply = page(&app, "/account", &cookie).await;
    assert_eq!(
        (reply.status, reply.text()),
        (200, session.user_id.as_str())
    );
    assert!(reply.set_cookies().is_empty());
    assert!(refresh_works(&app, &session.refresh).await, "not rotated");
}

#[tokio::test]
async fn requests_with_an_authorization_header_are_not_refreshed() {
    let app = App::new().await;
    let session = app.session("ada").await;
    let cookie = format!(
        "__Host-access={}; {}",
        expired_access(&app, &session.user_id),
        session.refresh_cookie()
    );
    let reply = app
        .call(
            Method::GET,
            "/account",
            &[("cookie", &cookie), ("authorization", &session.bearer())],
        )
        .await;
    // The pages read the cookie only: its expired token is refused as such.
    reply.assert_error(401, "invalid_token");
    assert!(reply.set_cookies().is_empty());
    assert!(
        refresh_works(&app, &session.refresh).await,
        "not rotated behind the client's back"
    );
}

#[tokio::test]
async fn cookies_the_page_sets_itself_win() {
    let app = App::new().await;
    let session = app.session("ada").await;
    let cookie = format!(
        "__Host-access={}; {}",
        expired_access(&app, &session.user_id),
        session.refresh_cookie()
    );
    let reply = page(&app, "/logout-page", &cookie).await;
    assert_eq!((reply.status, reply.text()), (200, "bye"));
    assert_eq!(
        reply.set_cookies(),
        [cleared("__Host-access"), cleared("__Host-refresh")]
    );
}
