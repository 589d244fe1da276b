//! auth-demo over HTTP: TOTP enrolment, the second step, replay, recovery
//! codes, step-up (the MFA rows and `/api/secure` of its README).
// End-to-end tests: a failed step panics, which is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../support/mod.rs"]
mod support;

use serde_json::{Value, json};
use support::{Demo, Session, claims, set_cookie, totp_at, unique};

const PASSWORD: &str = "correct horse battery staple";

struct Enrolled {
    name: String,
    secret: String,
    recovery: Vec<String>,
}

/// Registers a user, enrols TOTP and confirms it with this step's code.
async fn enrolled(demo: &Demo) -> Enrolled {
    let name = unique("mfa");
    demo.register(&name, PASSWORD).await;
    let session = demo.login(&name, PASSWORD).await;
    let enroll = demo
        .http
        .post(demo.url("/auth/mfa/totp/enroll"))
        .bearer_auth(&session.access)
        .send()
        .await
        .unwrap();
    assert_eq!(enroll.status(), 200);
    let enroll: Value = enroll.json().await.unwrap();
    let secret = enroll["secret"].as_str().unwrap().to_owned();
    let uri = enroll["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")));
    assert!(enroll["qr_svg"].as_str().unwrap().starts_with("<svg"));

    let wrong = demo
        .http
        .post(demo.url("/auth/mfa/totp/confirm"))
        .bearer_auth(&session.access)
        .json(&json!({"code": "000000"}))
        .send()
        .await
        .unwrap();
    // A fixed code is right once in a million; if it ever is, the test says so.
    assert_eq!(
        wrong.status(),
        422,
        "000000 happened to be the current code"
    );
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "invalid_code"
    );

    let confirm = demo
        .http
        .post(demo.url("/auth/mfa/totp/confirm"))
        .bearer_auth(&session.access)
        .json(&json!({"code": totp_at(&secret, 0)}))
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), 200);
    let confirm: Value = confirm.json().await.unwrap();
    let recovery: Vec<String> = confirm["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    Enrolled {
        name,
        secret,
        recovery,
    }
}

/// The password step for an enrolled user: the mfa_token.
async fn mfa_token(demo: &Demo, name: &str) -> String {
    let response = demo
        .post_json(
            "/auth/login",
            json!({"username": name, "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        set_cookie(&response, "__Host-refresh").is_none(),
        "no cookie before the second step"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["mfa_required"], true);
    assert_eq!(body["expires_in"], 300);
    body["mfa_token"].as_str().unwrap().to_owned()
}

async fn verify(demo: &Demo, mfa_token: &str, code: &str) -> reqwest::Response {
    demo.post_json(
        "/auth/mfa/verify",
        json!({"mfa_token": mfa_token, "code": code}),
    )
    .await
}

#[tokio::test]
async fn totp_second_step_is_accepted_once() {
    let demo = Demo::start(&[]).await;
    let user = enrolled(&demo).await;

    let token = mfa_token(&demo, &user.name).await;
    // The next step's code: this step's was spent by the confirmation.
    let code = totp_at(&user.secret, 30);
    let response = verify(&demo, &token, &code).await;
    assert_eq!(response.status(), 200);
    let session = Session::from_token_response(response).await;
    assert_eq!(claims(&session.access)["amr"], json!(["pwd", "otp", "mfa"]));

    // Step-up route: 200 with MFA, 403 + RFC 9470 challenge without.
    let secure = demo.get_bearer("/api/secure", &session.access).await;
    assert_eq!(secure.status(), 200);
    let body: Value = secure.json().await.unwrap();
    assert_eq!(body["sub"], claims(&session.access)["sub"]);

    // Replay: the same code with a fresh mfa_token.
    let again = mfa_token(&demo, &user.name).await;
    let replay = verify(&demo, &again, &code).await;
    assert_eq!(replay.status(), 401);
    assert_eq!(
        replay.json::<Value>().await.unwrap()["error"],
        "invalid_code"
    );

    // The used mfa_token does not work twice either.
    let reused = verify(&demo, &token, &user.recovery[0]).await;
    assert_eq!(reused.status(), 401);
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let demo = Demo::start(&[]).await;
    let user = enrolled(&demo).await;
    let token = mfa_token(&demo, &user.name).await;
    let response = verify(&demo, &token, &user.recovery[3]).await;
    assert_eq!(response.status(), 200);
    let session = Session::from_token_response(response).await;
    assert!(
        claims(&session.access)["amr"]
            .as_array()
            .unwrap()
            .contains(&json!("mfa"))
    );

    let token = mfa_token(&demo, &user.name).await;
    let second = verify(&demo, &token, &user.recovery[3]).await;
    assert_eq!(second.status(), 401);
    assert_eq!(
        second.json::<Value>().await.unwrap()["error"],
        "invalid_code"
    );
    // Another unused code still works with the same mfa_token.
    assert_eq!(verify(&demo, &token, &user.recovery[4]).await.status(), 200);
}

#[tokio::test]
async fn wrong_codes_throttle_and_bad_tokens_are_refused() {
    let demo = Demo::start(&[("AUTH_DEMO_LOGIN_MAX_FAILURES", "3")]).await;
    let user = enrolled(&demo).await;
    let token = mfa_token(&demo, &user.name).await;
    for code in ["12345", "abcdef", "999999x"] {
        assert_eq!(verify(&demo, &token, code).await.status(), 401, "{code}");
    }
    let throttled = verify(&demo, &token, &totp_at(&user.secret, 30)).await;
    assert_eq!(throttled.status(), 429);
    assert!(throttled.headers().contains_key("retry-after"));

    for bad in ["", "x.y.z", "not-a-token"] {
        let response = verify(&demo, bad, "123456").await;
        assert_eq!(response.status(), 401, "{bad:?}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_code"
        );
    }
}

#[tokio::test]
async fn password_only_tokens_get_the_step_up_challenge() {
    let demo = Demo::start(&[]).await;
    let name = unique("stepup");
    demo.register(&name, PASSWORD).await;
    let session = demo.login(&name, PASSWORD).await;
    let response = demo.get_bearer("/api/secure", &session.access).await;
    // RFC 9470 §3: 401, the client can authenticate again with a second factor.
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert!(
        challenge.contains(r#"error="insufficient_user_authentication""#),
        "{challenge}"
    );
    assert!(challenge.contains("error_description="), "{challenge}");
    assert_eq!(
        demo.http
            .get(demo.url("/api/secure"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // Enrolment needs a bearer token.
    let anonymous = demo
        .http
        .post(demo.url("/auth/mfa/totp/enroll"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}
