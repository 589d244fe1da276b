//! Passkeys over HTTP: auth-demo's JSON routes driven by a software
//! authenticator (`authenticator.rs`), the contract's success path and every
//! row of its failures (an expired challenge in `expiry.rs`), the throttle under concurrent sign-ins, and two
//! instances on one shared store.
//!
//! The demo runs with its own origin `http://localhost:PORT` (a WebAuthn
//! relying-party id is a domain); requests go to 127.0.0.1, the client data
//! names the origin as a browser on that page would.

// Test code: a failed step is a failed test, so panicking on it is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod authenticator;
mod expiry;
mod failures;
mod instances;
#[path = "../support/mod.rs"]
mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};

use authenticator::{ClientData, Credential, USER_PRESENT, USER_VERIFIED, unb64};
use support::{Demo, Session, claims, free_port, unique};

const PASSWORD: &str = "correct horse battery";

/// auth-demo with the origin `http://localhost:PORT`, plus `env`.
pub(crate) async fn demo(env: &[(&str, &str)]) -> (Demo, String) {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let origin = format!("http://localhost:{port}");
    let mut all = vec![
        ("AUTH_DEMO_ADDR", addr.as_str()),
        ("AUTH_DEMO_ISSUER", origin.as_str()),
    ];
    all.extend_from_slice(env);
    (Demo::start(&all).await, origin)
}

/// A new user, signed in with a password just now (recent enough for
/// account changes).
pub(crate) async fn user(demo: &Demo) -> (String, Session) {
    let name = unique("pk");
    demo.register(&name, PASSWORD).await;
    let session = demo.login(&name, PASSWORD).await;
    (name, session)
}

/// The registration options for the holder of `access`.
pub(crate) async fn registration_options(demo: &Demo, access: &str) -> Value {
    let response = demo
        .post_bearer("/auth/passkeys/register/options", access)
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Sends a registration answer; the response.
pub(crate) async fn send_registration(
    demo: &Demo,
    access: &str,
    credential: Value,
) -> reqwest::Response {
    demo.post_json_bearer(
        "/auth/passkeys/register",
        access,
        json!({ "credential": credential, "name": "Laptop" }),
    )
    .await
}

/// Registers a new passkey (counting from `counter`) for the holder of `access`.
pub(crate) async fn add_passkey(
    demo: &Demo,
    origin: &str,
    access: &str,
    counter: u32,
) -> Credential {
    let options = registration_options(demo, access).await;
    let credential = Credential::new(&options, counter);
    let client = ClientData::create(&options, origin);
    let answer = credential.attestation(&client, "localhost", USER_PRESENT | USER_VERIFIED);
    let response = send_registration(demo, access, answer).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    credential
}

/// Starts a passkey sign-in: `(ceremony, options)`.
pub(crate) async fn sign_in_options(demo: &Demo) -> (String, Value) {
    let response = demo
        .post_json("/auth/passkeys/login/options", json!({}))
        .await;
    assert_eq!(response.status(), 200);
    let options: Value = response.json().await.unwrap();
    (options["ceremony"].as_str().unwrap().to_owned(), options)
}

/// Sends a sign-in answer for `ceremony`.
pub(crate) async fn send_sign_in(
    demo: &Demo,
    ceremony: &str,
    credential: Value,
) -> reqwest::Response {
    demo.post_json(
        "/auth/passkeys/login",
        json!({ "ceremony": ceremony, "credential": credential }),
    )
    .await
}

/// A whole passkey sign-in with `credential`.
pub(crate) async fn sign_in(
    demo: &Demo,
    origin: &str,
    credential: &mut Credential,
) -> reqwest::Response {
    let (ceremony, options) = sign_in_options(demo).await;
    let answer = credential.assertion(&ClientData::get(&options, origin));
    send_sign_in(demo, &ceremony, answer).await
}

/// The passkey second step for `mfa_token`: its options, then `credential`'s
/// assertion for them sent to `/auth/mfa/verify`.
pub(crate) async fn second_step(
    demo: &Demo,
    origin: &str,
    mfa_token: &str,
    credential: &mut Credential,
) -> reqwest::Response {
    let step: Value = demo
        .post_json(
            "/auth/mfa/passkey/options",
            json!({ "mfa_token": mfa_token }),
        )
        .await
        .json()
        .await
        .unwrap();
    let answer = credential.assertion(&ClientData::get(&step, origin));
    demo.post_json(
        "/auth/mfa/verify",
        json!({ "mfa_token": mfa_token, "credential": answer }),
    )
    .await
}

/// The `error` of a JSON error answer, after checking its status.
pub(crate) async fn refused(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status(), StatusCode::from_u16(status).unwrap());
    let body: Value = response.json().await.unwrap();
    assert!(body["error_description"].is_string());
    body["error"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_passkey_is_registered_used_as_second_step_and_as_a_sign_in_then_deleted() {
    let (demo, origin) = demo(&[]).await;
    let (name, session) = user(&demo).await;
    let listed: Value = demo
        .get_bearer("/auth/passkeys", &session.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!({ "passkeys": [] }));

    // The options, as the contract describes them.
    let options = registration_options(&demo, &session.access).await;
    let public_key = &options["publicKey"];
    assert_eq!(public_key["rp"]["id"], "localhost");
    let handle = unb64(public_key["user"]["id"].as_str().unwrap());
    assert!(
        !handle.is_empty() && handle != name.as_bytes(),
        "an opaque handle, not the name"
    );
    assert_eq!(
        public_key["authenticatorSelection"]["residentKey"],
        "required"
    );
    assert_eq!(
        public_key["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert!(
        public_key["pubKeyCredParams"]
            .as_array()
            .unwrap()
            .iter()
            .any(|param| param["alg"] == -7),
        "ES256 must be offered"
    );
    assert!(unb64(public_key["challenge"].as_str().unwrap()).len() >= 16);

    let credential = Credential::new(&options, 0);
    let answer = credential.attestation(
        &ClientData::create(&options, &origin),
        "localhost",
        USER_PRESENT | USER_VERIFIED,
    );
    let response = send_registration(&demo, &session.access, answer).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(
        created,
        json!({ "id": credential.id_b64(), "name": "Laptop" })
    );
    let mut credential = credential;

    // A second registration excludes the passkey the user has.
    let again = registration_options(&demo, &session.access).await;
    let excluded: Vec<&str> = again["publicKey"]["excludeCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(excluded, [credential.id_b64()]);

    // The password now asks for a second step, the passkey among them.
    let login: Value = demo
        .post_json(
            "/auth/login",
            json!({ "username": name, "password": PASSWORD }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(login["mfa_required"], true);
    assert_eq!(login["methods"], json!(["passkey"]));
    let mfa_token = login["mfa_token"].as_str().unwrap();
    let response = demo
        .post_json(
            "/auth/mfa/passkey/options",
            json!({ "mfa_token": mfa_token }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let step: Value = response.json().await.unwrap();
    let allowed: Vec<&str> = step["publicKey"]["allowCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(allowed, [credential.id_b64()]);
    let answer = credential.assertion(&ClientData::get(&step, &origin));
    let response = demo
        .post_json(
            "/auth/mfa/verify",
            json!({ "mfa_token": mfa_token, "credential": answer }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let second = Session::from_token_response(response).await;
    assert_eq!(claims(&second.access)["amr"], json!(["pwd", "hwk", "mfa"]));
    // The `mfa_token` is spent.
    let response = demo
        .post_json(
            "/auth/mfa/passkey/options",
            json!({ "mfa_token": mfa_token }),
        )
        .await;
    assert_eq!(refused(response, 401).await, "invalid_code");

    // A sign-in of its own: no username, no second step.
    let (ceremony, options) = sign_in_options(&demo).await;
    assert_eq!(options["publicKey"]["rpId"], "localhost");
    assert_eq!(options["publicKey"]["allowCredentials"], json!([]));
    assert!(
        options.get("mediation").is_none(),
        "a button must not wait on autofill"
    );
    let answer = credential.assertion(&ClientData::get(&options, &origin));
    let response = send_sign_in(&demo, &ceremony, answer).await;
    assert_eq!(response.status(), 200);
    let signed_in = Session::from_token_response(response).await;
    let token = claims(&signed_in.access);
    assert_eq!(token["amr"], json!(["hwk", "user", "mfa"]));
    assert_eq!(token["sub"], claims(&session.access)["sub"]);

    let listed: Value = demo
        .get_bearer("/auth/passkeys", &session.access)
        .await
        .json()
        .await
        .unwrap();
    let passkey = &listed["passkeys"][0];
    assert_eq!(passkey["id"], credential.id_b64());
    assert_eq!(passkey["name"], "Laptop");
    assert!(passkey["created_at"].is_i64());
    assert!(passkey["last_used_at"].is_i64(), "a use is recorded");

    // Another user cannot delete it; its owner can, and then it signs in nowhere.
    let (_, other) = user(&demo).await;
    let path = format!("/auth/passkeys/{}", credential.id_b64());
    let response = demo
        .http
        .delete(demo.url(&path))
        .bearer_auth(&other.access)
        .send()
        .await
        .unwrap();
    assert_eq!(refused(response, 404).await, "not_found");
    let response = demo
        .http
        .delete(demo.url(&path))
        .bearer_auth(&session.access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = sign_in(&demo, &origin, &mut credential).await;
    assert_eq!(refused(response, 401).await, "invalid_credentials");
    // With no passkey left, the password is enough again.
    let response = demo
        .post_json(
            "/auth/login",
            json!({ "username": name, "password": PASSWORD }),
        )
        .await;
    assert!(
        Session::from_token_response(response)
            .await
            .body
            .get("mfa_required")
            .is_none()
    );
}

#[tokio::test]
async fn an_ip_address_origin_turns_passkeys_off() {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let origin = format!("http://127.0.0.1:{port}");
    let demo = Demo::start(&[
        ("AUTH_DEMO_ADDR", addr.as_str()),
        ("AUTH_DEMO_ISSUER", origin.as_str()),
    ])
    .await;
    let response = demo
        .post_json("/auth/passkeys/login/options", json!({}))
        .await;
    assert_eq!(refused(response, 404).await, "not_found");
    let (_, session) = user(&demo).await;
    let response = demo
        .post_bearer("/auth/passkeys/register/options", &session.access)
        .await;
    assert_eq!(refused(response, 404).await, "not_found");
}
