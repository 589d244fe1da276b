//! auth-demo over HTTP: login with an external OpenID Connect provider
//! (the `/auth/oidc/*` rows of its README), against a real provider:
//! `oidc-provider` (OpenID Certified), started from tests/oidc/provider/server.mjs.
//!
//! The test plays the browser: it follows the redirects, posts the
//! provider's own login form, and lands on `/auth/oidc/callback`. The same
//! provider, addressed as a plain OAuth2 provider by an app built here,
//! stands in for providers without OpenID Connect (GitHub). Without
//! node or without `npm ci --prefix tests/oidc/provider`, the tests are skipped with
//! one line; with `AUTH_TEST_REQUIRE_SERVICES=1` (CI) they fail instead.

use crate::browser::{assert_refused, query, setup, setup_plain_oauth2, setup_with, with_query};
use crate::support::{Session, claims, service_url, set_cookie};
use auth_core::external::external_username;

#[tokio::test]
async fn a_provider_login_links_one_account_per_identity() {
    let Some(setup) = setup("test-client").await else {
        return;
    };
    let started = setup.begin().await;
    let url = &started.authorize_url;
    assert!(url.as_str().starts_with(&setup.provider.issuer));
    assert_eq!(query(url, "response_type").as_deref(), Some("code"));
    assert_eq!(query(url, "code_challenge_method").as_deref(), Some("S256"));
    assert!(
        query(url, "scope")
            .unwrap()
            .split(' ')
            .any(|s| s == "openid")
    );
    assert!(query(url, "state").is_some() && query(url, "nonce").is_some());
    assert_eq!(
        query(url, "redirect_uri").unwrap(),
        setup.url("/auth/oidc/callback")
    );

    let first = setup.login_as("alice").await;
    let access = claims(&first.access);
    assert_eq!(access["amr"][0], "fed");
    let me = setup.me(&first).await;
    assert_eq!(me["sub"], access["sub"]);
    assert!(me["username"].as_str().unwrap().starts_with("oidc:"));

    // The same identity again: the same account. Another: another account.
    let again = setup.login_as("alice").await;
    assert_eq!(setup.me(&again).await["sub"], me["sub"]);
    let bob = setup.login_as("bob").await;
    assert_ne!(setup.me(&bob).await["sub"], me["sub"]);

    // The session is an ordinary one: its refresh token rotates.
    let demo = setup.demo.as_ref().unwrap();
    assert_eq!(demo.refresh(&first.refresh).await.status(), 200);
}

#[tokio::test]
async fn es256_id_tokens_verify_too() {
    let Some(setup) = setup("test-client-es256").await else {
        return;
    };
    let session = setup.login_as("alice").await;
    assert_eq!(setup.me(&session).await["amr"][0], "fed");
}

#[tokio::test]
async fn a_callback_works_once_and_only_with_its_state_and_cookie() {
    let Some(setup) = setup("test-client").await else {
        return;
    };
    // Mismatched state: the provider's answer with another state.
    let returned = setup.at_provider(setup.begin().await, "alice", false).await;
    let other_state = "A".repeat(43);
    let tampered = with_query(&returned.callback, "state", &other_state);
    assert_refused(
        setup
            .callback(&tampered, Some(&returned.login_cookie))
            .await,
        "invalid_request",
    )
    .await;
    // No cookie: not the browser that started the login.
    let returned = setup.at_provider(setup.begin().await, "alice", false).await;
    assert_refused(
        setup.callback(&returned.callback, None).await,
        "invalid_request",
    )
    .await;
    // Another browser's cookie.
    let elsewhere = setup.begin().await;
    assert_refused(
        setup
            .callback(&returned.callback, Some(&elsewhere.login_cookie))
            .await,
        "invalid_request",
    )
    .await;

    // Replayed callback: the same URL and cookie a second time.
    let returned = setup.at_provider(setup.begin().await, "alice", false).await;
    let cookie = Some(returned.login_cookie.as_str());
    assert_eq!(
        setup.callback(&returned.callback, cookie).await.status(),
        200
    );
    assert_refused(
        setup.callback(&returned.callback, cookie).await,
        "invalid_request",
    )
    .await;

    // Replayed code under a fresh login state: the provider refuses the code.
    let fresh = setup.at_provider(setup.begin().await, "alice", false).await;
    let old_code = query(&returned.callback, "code").unwrap();
    let replayed = with_query(&fresh.callback, "code", &old_code);
    assert_refused(
        setup.callback(&replayed, Some(&fresh.login_cookie)).await,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn an_id_token_that_does_not_verify_is_refused() {
    let Some(setup) = setup("test-client").await else {
        return;
    };
    // The harness corrupts the signature of the `tampered` user's id_tokens.
    let returned = setup
        .at_provider(setup.begin().await, "tampered", false)
        .await;
    assert_refused(
        setup
            .callback(&returned.callback, Some(&returned.login_cookie))
            .await,
        "invalid_request",
    )
    .await;

    // Wrong nonce: the authorization request altered on its way to the
    // provider, which then signs an id_token for another nonce.
    let mut started = setup.begin().await;
    started.authorize_url = with_query(&started.authorize_url, "nonce", "not-our-nonce");
    let returned = setup.at_provider(started, "alice", false).await;
    assert_refused(
        setup
            .callback(&returned.callback, Some(&returned.login_cookie))
            .await,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn a_provider_error_is_passed_on_as_a_400() {
    let Some(setup) = setup("test-client").await else {
        return;
    };
    let returned = setup.at_provider(setup.begin().await, "alice", true).await;
    assert_eq!(
        query(&returned.callback, "error").as_deref(),
        Some("access_denied")
    );
    let response = setup
        .callback(&returned.callback, Some(&returned.login_cookie))
        .await;
    assert!(set_cookie(&response, "__Host-refresh").is_none());
    assert_refused(response, "access_denied").await;
}

#[tokio::test]
async fn a_plain_oauth2_provider_logs_in_through_the_applications_user_info() {
    let Some((setup, auth)) = setup_plain_oauth2().await else {
        return;
    };
    let started = setup.begin().await;
    assert_eq!(query(&started.authorize_url, "nonce"), None);
    assert_eq!(
        query(&started.authorize_url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let returned = setup.at_provider(started, "alice", false).await;
    let cookie = Some(returned.login_cookie.as_str());
    let response = setup.callback(&returned.callback, cookie).await;
    assert_eq!(response.status(), 200);
    let session = Session::from_token_response(response).await;
    let access = auth.verifier().verify(&session.access).unwrap();
    assert_eq!(access.amr, ["fed"]);
    let user = auth.users().user_by_id(&access.sub).await.unwrap().unwrap();
    assert_eq!(
        user.username,
        external_username(&setup.provider.issuer, "alice")
    );
    // Linked by the provider's user id: the same account the next time.
    let again = setup.login_as("alice").await;
    assert_eq!(
        auth.verifier().verify(&again.access).unwrap().sub,
        access.sub
    );
    // And the callback still works once only.
    assert_refused(
        setup.callback(&returned.callback, cookie).await,
        "invalid_request",
    )
    .await;
}

/// Login states of `/auth/oidc/*` in the PostgreSQL store.
async fn login_rows(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM auth.auth_codes WHERE key LIKE 'oidc-login:%') \
              + (SELECT count(*) FROM auth.auth_one_time WHERE key LIKE 'oidc-login:%')",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Starting a login is anonymous and free: it must not write anything a
/// flood of starts could pile up. Only a completed login leaves a mark.
#[tokio::test]
async fn starting_logins_stores_nothing() {
    let Some(url) = service_url("DATABASE_URL", "the OIDC login-state test") else {
        return;
    };
    let Some(setup) = setup_with("test-client", &[("AUTH_DEMO_STORE", url.as_str())]).await else {
        return;
    };
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    let before = login_rows(&pool).await;
    for _ in 0..200 {
        let started = setup
            .http
            .get(setup.url("/auth/oidc/login"))
            .send()
            .await
            .unwrap();
        assert_eq!(started.status(), 302);
    }
    assert_eq!(
        login_rows(&pool).await,
        before,
        "200 started logins stored nothing"
    );
    let session = setup.login_as("alice").await;
    assert_eq!(setup.me(&session).await["amr"][0], "fed");
    assert_eq!(
        login_rows(&pool).await,
        before + 1,
        "a completed login marks its state used"
    );
}
