//! The second factor through `AuthRoutes`: enrolment, confirmation, login.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod flows_support;

use flows_support::{App, PASSWORD, Session};
use http::Method;
use serde_json::{Value, json};

/// Enrols and confirms TOTP for a new user: the session, secret and recovery codes.
async fn enrolled(app: &App, username: &str) -> (Session, String, Vec<String>) {
    let session = app.session(username).await;
    let bearer = session.bearer();
    let enroll = app
        .post(
            "/auth/mfa/totp/enroll",
            &[("authorization", &bearer)],
            json!({}),
        )
        .await;
    assert_eq!(enroll.status, 200, "{}", enroll.text());
    let secret = enroll.json()["secret"].as_str().unwrap().to_owned();
    let code = app.totp_code(&secret, 0);
    let confirm = app
        .post(
            "/auth/mfa/totp/confirm",
            &[("authorization", &bearer)],
            json!({"code": code}),
        )
        .await;
    assert_eq!(confirm.status, 200, "{}", confirm.text());
    let codes = confirm.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (session, secret, codes)
}

/// The `mfa_token` of a password step that asks for a second factor.
async fn mfa_token(app: &App, username: &str) -> String {
    let reply = app
        .post(
            "/auth/login",
            &[],
            json!({"username": username, "password": PASSWORD}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        reply.set_cookies().is_empty(),
        "no cookie before the second factor"
    );
    let body = reply.json();
    assert_eq!(body["mfa_required"], true);
    assert_eq!(body["expires_in"], 300);
    assert!(body.get("access_token").is_none());
    body["mfa_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn enrolment_needs_a_bearer_token() {
    let app = App::new().await;
    app.post("/auth/mfa/totp/enroll", &[], json!({}))
        .await
        .assert_error(401, "missing_token");
    app.post("/auth/mfa/totp/confirm", &[], json!({"code": "123456"}))
        .await
        .assert_error(401, "missing_token");
    app.post(
        "/auth/mfa/totp/enroll",
        &[("authorization", "Bearer not.a.jwt")],
        json!({}),
    )
    .await
    .assert_error(401, "invalid_token");
}

#[tokio::test]
async fn enrolment_gives_what_authenticator_apps_scan() {
    let app = App::new().await;
    let session = app.session("ada").await;
    let reply = app
        .post(
            "/auth/mfa/totp/enroll",
            &[("authorization", &session.bearer())],
            json!({}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body = reply.json();
    let secret = body["secret"].as_str().unwrap();
    assert!(
        secret.len() >= 32
            && secret
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    );
    let uri = body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    for part in [
        &format!("secret={secret}")[..],
        "algorithm=SHA1",
        "digits=6",
        "period=30",
    ] {
        assert!(uri.contains(part), "{uri} lacks {part}");
    }
    assert!(body["qr_svg"].as_str().unwrap().starts_with("<svg"));
}

#[tokio::test]
async fn a_wrong_confirmation_code_is_422_and_changes_nothing() {
    let app = App::new().await;
    let session = app.session("ada").await;
    let bearer = session.bearer();
    let enroll = app
        .post(
            "/auth/mfa/totp/enroll",
            &[("authorization", &bearer)],
            json!({}),
        )
        .await;
    let secret = enroll.json()["secret"].as_str().unwrap().to_owned();
    let wrong = app.wrong_code(&secret);
    app.post(
        "/auth/mfa/totp/confirm",
        &[("authorization", &bearer)],
        json!({"code": wrong}),
    )
    .await
    .assert_error(422, "invalid_code");
    // Login still needs no second factor.
    app.login("ada").await;
}

#[tokio::test]
async fn confirmation_gives_ten_codes_and_login_then_needs_mfa() {
    let app = App::new().await;
    let (_, secret, codes) = enrolled(&app, "ada").await;
    assert_eq!(codes.len(), 10);

    let token = mfa_token(&app, "ada").await;
    // The confirming code was used; the next step's code is fresh.
    let code = app.totp_code(&secret, 1);
    let reply = app
        .post(
            "/auth/mfa/verify",
            &[],
            json!({"mfa_token": token, "code": code}),
        )
        .await;
    reply.assert_tokens();
    let access = reply.json()["access_token"].as_str().unwrap().to_owned();
    let claims = app.auth.verifier().verify(&access).unwrap();
    assert_eq!(claims.amr, ["pwd", "otp", "mfa"]);

    let secure = app
        .call(
            Method::GET,
            "/api/secure",
            &[("authorization", &format!("Bearer {access}"))],
        )
        .await;
    assert_eq!(secure.status, 200, "{}", secure.text());

    // The same code, with a new mfa_token: accepted once only.
    let token = mfa_token(&app, "ada").await;
    app.post(
        "/auth/mfa/verify",
        &[],
        json!({"mfa_token": token, "code": code}),
    )
    .await
    .assert_error(401, "invalid_code");
}

#[tokio::test]
async fn wrong_codes_and_tokens_are_401_invalid_code() {
    let app = App::new().await;
    let (_, secret, _) = enrolled(&app, "ada").await;
    let token = mfa_token(&app, "ada").await;
    let good = app.totp_code(&secret, 1);
    let wrong = app.wrong_code(&secret);
    for body in [
        json!({"mfa_token": token, "code": wrong}),
        json!({"mfa_token": "not-a-token", "code": good}),
        json!({"mfa_token": token, "code": "not-a-recovery-code"}),
    ] {
        let reply = app.post("/auth/mfa/verify", &[], body).await;
        reply.assert_error(401, "invalid_code");
        assert!(reply.set_cookies().is_empty());
    }
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let app = App::new().await;
    let (_, _, codes) = enrolled(&app, "ada").await;
    let token = mfa_token(&app, "ada").await;
    app.post(
        "/auth/mfa/verify",
        &[],
        json!({"mfa_token": token, "code": codes[3]}),
    )
    .await
    .assert_tokens();
    let token = mfa_token(&app, "ada").await;
    app.post(
        "/auth/mfa/verify",
        &[],
        json!({"mfa_token": token, "code": codes[3]}),
    )
    .await
    .assert_error(401, "invalid_code");
}

#[tokio::test]
async fn second_factor_failures_are_throttled() {
    let app = App::new().await;
    let (_, secret, _) = enrolled(&app, "ada").await;
    let good = app.totp_code(&secret, 1);
    let wrong = app.wrong_code(&secret);
    let token = mfa_token(&app, "ada").await;
    for _ in 0..flows_support::MAX_FAILURES {
        app.post(
            "/auth/mfa/verify",
            &[],
            json!({"mfa_token": token, "code": wrong}),
        )
        .await
        .assert_error(401, "invalid_code");
    }
    let reply = app
        .post(
            "/auth/mfa/verify",
            &[],
            json!({"mfa_token": token, "code": good}),
        )
        .await;
    reply.assert_error(429, "too_many_attempts");
    assert!(reply.header("retry-after").is_some());
    let _: Value = reply.json();
}

#[tokio::test]
async fn enrolling_over_a_confirmed_factor_is_409() {
    let app = App::new().await;
    let (session, _, _) = enrolled(&app, "ada").await;
    app.post(
        "/auth/mfa/totp/enroll",
        &[("authorization", &session.bearer())],
        json!({}),
    )
    .await
    .assert_error(409, "mfa_already_enrolled");
}
