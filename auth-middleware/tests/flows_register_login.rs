//! `POST /auth/register` and `POST /auth/login` of `AuthRoutes`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod flows_support;

use flows_support::{App, CLIENT, MAX_FAILURES, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn register_answers_201_with_the_user_id_then_409() {
    let app = App::new().await;
    let reply = app
        .post(
            "/auth/register",
            &[],
            json!({"username": "ada", "password": PASSWORD}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let user_id = reply.json()["user_id"].as_str().unwrap().to_owned();
    assert!(!user_id.is_empty());
    assert_eq!(reply.json().as_object().unwrap().len(), 1);

    let again = app
        .post(
            "/auth/register",
            &[],
            json!({"username": "ada", "password": "another password"}),
        )
        .await;
    again.assert_error(409, "username_taken");
}

#[tokio::test]
async fn weak_passwords_and_bad_usernames_are_422() {
    let app = App::new().await;
    let long = "x".repeat(129);
    for (username, password) in [
        ("ada", "s3cr3t"),
        ("ada", long.as_str()),
        ("correct horse", "correct horse"),
        ("Correct Horse", "correct horse"),
    ] {
        let reply = app
            .post(
                "/auth/register",
                &[],
                json!({"username": username, "password": password}),
            )
            .await;
        reply.assert_error(422, "weak_password");
        assert!(
            !reply.text().contains(password),
            "the password is not echoed"
        );
    }
    let eight = app
        .post(
            "/auth/register",
            &[],
            json!({"username": "bob", "password": "12345678"}),
        )
        .await;
    assert_eq!(eight.status, 201, "eight characters are enough");

    for username in ["", "line\nbreak"] {
        app.post(
            "/auth/register",
            &[],
            json!({"username": username, "password": PASSWORD}),
        )
        .await
        .assert_error(422, "invalid_username");
    }
}

#[tokio::test]
async fn login_answers_tokens_and_the_refresh_cookie() {
    let app = App::new().await;
    let user_id = app.register("ada").await;
    let reply = app
        .post(
            "/auth/login",
            &[],
            json!({"username": "ada", "password": PASSWORD}),
        )
        .await;
    reply.assert_tokens();
    assert_eq!(reply.set_cookies().len(), 1, "only the refresh cookie");

    let claims = app
        .auth
        .verifier()
        .verify(reply.json()["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        (claims.subject(), claims.amr.as_slice()),
        (user_id.as_str(), &["pwd".to_owned()][..])
    );
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_look_alike() {
    let app = App::new().await;
    app.register("ada").await;
    let wrong = app
        .post(
            "/auth/login",
            &[],
            json!({"username": "ada", "password": "wrong password"}),
        )
        .await;
    let unknown = app
        .post(
            "/auth/login",
            &[],
            json!({"username": "nobody", "password": PASSWORD}),
        )
        .await;
    for reply in [&wrong, &unknown] {
        reply.assert_error(401, "invalid_credentials");
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Bearer realm="auth-demo""#)
        );
        assert!(reply.set_cookies().is_empty());
    }
    assert_eq!(wrong.body, unknown.body);
}

#[tokio::test]
async fn failures_throttle_the_account_even_for_the_right_password() {
    let app = App::new().await;
    app.register("ada").await;
    for _ in 0..MAX_FAILURES {
        app.post(
            "/auth/login",
            &[],
            json!({"username": "ada", "password": "wrong password"}),
        )
        .await
        .assert_error(401, "invalid_credentials");
    }
    let throttled = app
        .post(
            "/auth/login",
            &[],
            json!({"username": "ada", "password": PASSWORD}),
        )
        .await;
    throttled.assert_error(429, "too_many_attempts");
    let retry_after: u64 = throttled.header("retry-after").unwrap().parse().unwrap();
    assert!(retry_after >= 1);
    assert!(throttled.set_cookies().is_empty());
}

#[tokio::test]
async fn failures_throttle_the_client_address_across_accounts() {
    let app = App::new().await;
    app.register("ada").await;
    let mallory = [(CLIENT, "192.0.2.7:40000")];
    for name in ["a", "b", "c"].iter().take(MAX_FAILURES as usize) {
        app.post(
            "/auth/login",
            &mallory,
            json!({"username": name, "password": "guess"}),
        )
        .await
        .assert_error(401, "invalid_credentials");
    }
    app.post(
        "/auth/login",
        &mallory,
        json!({"username": "ada", "password": PASSWORD}),
    )
    .await
    .assert_error(429, "too_many_attempts");

    let elsewhere = [(CLIENT, "198.51.100.1:40000")];
    app.post(
        "/auth/login",
        &elsewhere,
        json!({"username": "ada", "password": PASSWORD}),
    )
    .await
    .assert_tokens();
}
