//! Every failure row of the passkey contract: each answer refused with its
//! code, and nothing stored by a refused ceremony.

use serde_json::{Value, json};

use super::authenticator::{ClientData, Credential, USER_PRESENT, USER_VERIFIED, b64, unb64};
use super::support::Demo;
use super::{
    add_passkey, demo, refused, registration_options, second_step, send_registration, send_sign_in,
    sign_in, sign_in_options, user,
};

/// One failure row: what is wrong, and the answer that has it wrong, made
/// from the options the server sent and the credential.
type Row<'a> = (&'a str, Box<dyn Fn(&Value, &Credential) -> Value + 'a>);

/// Room for the many refused sign-ins of one test from one address.
const LENIENT: [(&str, &str); 1] = [("AUTH_DEMO_LOGIN_MAX_FAILURES", "1000")];

async fn passkeys_of(demo: &Demo, access: &str) -> Value {
    demo.get_bearer("/auth/passkeys", access)
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_registration_that_does_not_verify_is_refused_and_stores_nothing() {
    let (demo, origin) = demo(&LENIENT).await;
    let (_, session) = user(&demo).await;
    let access = session.access.as_str();
    let good = USER_PRESENT | USER_VERIFIED;

    // Each row: a fresh challenge, one thing wrong.
    let rows: [Row; 4] = [
        (
            "another origin",
            Box::new(|options, credential| {
                let client = ClientData::create(options, "http://evil.localhost:1");
                credential.attestation(&client, "localhost", good)
            }),
        ),
        (
            "another RP id",
            Box::new(|options, credential| {
                let client = ClientData::create(options, &origin);
                credential.attestation(&client, "evil.example", good)
            }),
        ),
        (
            "no user verification",
            Box::new(|options, credential| {
                let client = ClientData::create(options, &origin);
                credential.attestation(&client, "localhost", USER_PRESENT)
            }),
        ),
        (
            "an assertion's client data",
            Box::new(|options, credential| {
                let mut client = ClientData::create(options, &origin);
                client.kind = "webauthn.get";
                credential.attestation(&client, "localhost", good)
            }),
        ),
    ];
    for (what, answer) in &rows {
        let options = registration_options(&demo, access).await;
        let credential = Credential::new(&options, 0);
        let response = send_registration(&demo, access, answer(&options, &credential)).await;
        assert_eq!(refused(response, 422).await, "invalid_passkey", "{what}");
    }

    // A challenge issued to another user.
    let (_, other) = user(&demo).await;
    let theirs = registration_options(&demo, &other.access).await;
    registration_options(&demo, access).await;
    let credential = Credential::new(&theirs, 0);
    let answer = credential.attestation(&ClientData::create(&theirs, &origin), "localhost", good);
    let response = send_registration(&demo, access, answer).await;
    assert_eq!(
        refused(response, 422).await,
        "invalid_passkey",
        "another user's challenge"
    );

    // A spent challenge: the same answer twice (a replayed registration).
    let options = registration_options(&demo, access).await;
    let credential = Credential::new(&options, 0);
    let answer = credential.attestation(&ClientData::create(&options, &origin), "localhost", good);
    let response = send_registration(&demo, access, answer.clone()).await;
    assert_eq!(response.status(), 201);
    let response = send_registration(&demo, access, answer).await;
    assert_eq!(
        refused(response, 422).await,
        "invalid_passkey",
        "a replayed registration"
    );

    // A credential id already registered, on a fresh challenge, by anyone.
    for holder in [access, other.access.as_str()] {
        let options = registration_options(&demo, holder).await;
        let answer =
            credential.attestation(&ClientData::create(&options, &origin), "localhost", good);
        let response = send_registration(&demo, holder, answer).await;
        assert_eq!(
            refused(response, 422).await,
            "invalid_passkey",
            "a registered credential id"
        );
    }

    // A body whose credential is not a WebAuthn response.
    registration_options(&demo, access).await;
    let response = send_registration(&demo, access, json!({ "id": 42 })).await;
    assert_eq!(refused(response, 400).await, "invalid_request");

    // Of all this, only the one good registration was stored.
    let stored = passkeys_of(&demo, access).await;
    assert_eq!(stored["passkeys"].as_array().unwrap().len(), 1);
    assert_eq!(stored["passkeys"][0]["id"], credential.id_b64());
    assert_eq!(
        passkeys_of(&demo, &other.access).await,
        json!({ "passkeys": [] })
    );
}

#[tokio::test]
async fn a_sign_in_that_does_not_verify_is_refused() {
    let (demo, origin) = demo(&LENIENT).await;
    let (_, session) = user(&demo).await;
    let mut credential = add_passkey(&demo, &origin, &session.access, 10).await;
    let good = USER_PRESENT | USER_VERIFIED;

    let rows: [Row; 5] = [
        (
            "another origin",
            Box::new(|options, credential| {
                let client = ClientData::get(options, "http://evil.localhost:1");
                credential.assertion_with(&client, "localhost", good, 100)
            }),
        ),
        (
            "another RP id",
            Box::new(|options, credential| {
                let client = ClientData::get(options, &origin);
                credential.assertion_with(&client, "evil.example", good, 100)
            }),
        ),
        (
            "no user verification",
            Box::new(|options, credential| {
                let client = ClientData::get(options, &origin);
                credential.assertion_with(&client, "localhost", USER_PRESENT, 100)
            }),
        ),
        (
            "a bad signature",
            Box::new(|options, credential| {
                let client = ClientData::get(options, &origin);
                let mut answer = credential.assertion_with(&client, "localhost", good, 100);
                let mut signature = unb64(answer["response"]["signature"].as_str().unwrap());
                let last = signature.len() - 1;
                signature[last] ^= 1;
                answer["response"]["signature"] = json!(b64(&signature));
                answer
            }),
        ),
        (
            "another user's handle",
            Box::new(|options, credential| {
                let client = ClientData::get(options, &origin);
                let mut answer = credential.assertion_with(&client, "localhost", good, 100);
                answer["response"]["userHandle"] = json!(b64(b"someone-else"));
                answer
            }),
        ),
    ];
    for (what, answer) in &rows {
        let (ceremony, options) = sign_in_options(&demo).await;
        let response = send_sign_in(&demo, &ceremony, answer(&options, &credential)).await;
        assert_eq!(
            refused(response, 401).await,
            "invalid_credentials",
            "{what}"
        );
    }

    // A spent ceremony: a good answer, then the same ceremony again.
    let (ceremony, options) = sign_in_options(&demo).await;
    let answer = credential.assertion(&ClientData::get(&options, &origin));
    assert_eq!(send_sign_in(&demo, &ceremony, answer).await.status(), 200);
    let last_accepted = credential.counter;
    let answer = credential.assertion(&ClientData::get(&options, &origin));
    let response = send_sign_in(&demo, &ceremony, answer).await;
    assert_eq!(
        refused(response, 401).await,
        "invalid_credentials",
        "a spent ceremony"
    );
    // A ceremony the server never issued.
    let answer = credential.assertion(&ClientData::get(&options, &origin));
    let response = send_sign_in(&demo, "not-a-ceremony", answer).await;
    assert_eq!(
        refused(response, 401).await,
        "invalid_credentials",
        "an unknown ceremony"
    );

    // A signature counter that did not move: a cloned authenticator.
    let (ceremony, options) = sign_in_options(&demo).await;
    let client = ClientData::get(&options, &origin);
    let stale = credential.assertion_with(&client, "localhost", good, last_accepted);
    let response = send_sign_in(&demo, &ceremony, stale).await;
    assert_eq!(
        refused(response, 401).await,
        "invalid_credentials",
        "a counter regression"
    );
    // The original goes on working.
    assert_eq!(sign_in(&demo, &origin, &mut credential).await.status(), 200);

    // A credential this site never registered.
    let mut stranger = Credential::new(
        &json!({ "publicKey": { "rp": { "id": "localhost" }, "user": { "id": b64(b"nobody") } } }),
        0,
    );
    let response = sign_in(&demo, &origin, &mut stranger).await;
    assert_eq!(
        refused(response, 401).await,
        "invalid_credentials",
        "an unknown credential"
    );

    // A malformed credential.
    let (ceremony, _) = sign_in_options(&demo).await;
    let response = send_sign_in(&demo, &ceremony, json!("not a credential")).await;
    assert_eq!(refused(response, 400).await, "invalid_request");
}

#[tokio::test]
async fn a_counter_regression_is_logged_as_a_suspected_clone() {
    let port = super::free_port();
    let addr = format!("127.0.0.1:{port}");
    let origin = format!("http://localhost:{port}");
    let demo = Demo::start_logging(&[
        ("AUTH_DEMO_ADDR", addr.as_str()),
        ("AUTH_DEMO_ISSUER", origin.as_str()),
        ("RUST_LOG", "info"),
        ("AUTH_DEMO_LOG_FORMAT", "json"),
    ])
    .await;
    let (_, session) = user(&demo).await;
    let mut credential = add_passkey(&demo, &origin, &session.access, 5).await;
    assert_eq!(sign_in(&demo, &origin, &mut credential).await.status(), 200);
    let (ceremony, options) = sign_in_options(&demo).await;
    let client = ClientData::get(&options, &origin);
    let clone = credential.assertion_with(
        &client,
        "localhost",
        USER_PRESENT | USER_VERIFIED,
        credential.counter - 1,
    );
    let response = send_sign_in(&demo, &ceremony, clone).await;
    assert_eq!(refused(response, 401).await, "invalid_credentials");
    super::support::wait_for(
        "a passkey.clone_suspected event",
        std::time::Duration::from_millis(25),
        std::time::Duration::from_secs(5),
        || async {
            demo.logs().iter().any(|line| {
                serde_json::from_str::<Value>(line).is_ok_and(|event| {
                    event["event"] == "passkey.clone_suspected"
                        && event["level"] == "WARN"
                        && event["passkey"] == credential.id_b64()
                })
            })
        },
    )
    .await;
}

#[tokio::test]
async fn the_second_step_takes_only_the_users_own_passkey() {
    let (demo, origin) = demo(&LENIENT).await;
    let (name, session) = user(&demo).await;
    let mut own = add_passkey(&demo, &origin, &session.access, 0).await;
    let (_, intruder) = user(&demo).await;
    let mut theirs = add_passkey(&demo, &origin, &intruder.access, 0).await;

    let login = |name: String| {
        let demo = &demo;
        async move {
            let body: Value = demo
                .post_json(
                    "/auth/login",
                    json!({ "username": name, "password": super::PASSWORD }),
                )
                .await
                .json()
                .await
                .unwrap();
            body["mfa_token"].as_str().unwrap().to_owned()
        }
    };
    let mfa_token = login(name.clone()).await;
    let response = second_step(&demo, &origin, &mfa_token, &mut theirs).await;
    assert_eq!(
        refused(response, 401).await,
        "invalid_code",
        "another user's passkey"
    );

    // The failed step spent its challenge: new options, then the own passkey.
    let response = second_step(&demo, &origin, &mfa_token, &mut own).await;
    assert_eq!(response.status(), 200);

    // A bad token, and a body with both a code and a credential.
    let response = demo
        .post_json(
            "/auth/mfa/passkey/options",
            json!({ "mfa_token": "not.a.token" }),
        )
        .await;
    assert_eq!(refused(response, 401).await, "invalid_code");
    let mfa_token = login(name).await;
    let response = demo
        .post_json(
            "/auth/mfa/verify",
            json!({ "mfa_token": mfa_token, "code": "123456", "credential": {} }),
        )
        .await;
    assert_eq!(refused(response, 422).await, "invalid_request");
}

#[tokio::test]
async fn of_concurrent_failed_sign_ins_only_the_limit_is_checked() {
    const LIMIT: usize = 3;
    let (demo, origin) = demo(&[("AUTH_DEMO_LOGIN_MAX_FAILURES", "3")]).await;
    let (_, session) = user(&demo).await;
    let credential = add_passkey(&demo, &origin, &session.access, 0).await;
    let mut answers = Vec::new();
    for _ in 0..12 {
        let (ceremony, options) = sign_in_options(&demo).await;
        // Wrong: no user verification.
        let answer = credential.assertion_with(
            &ClientData::get(&options, &origin),
            "localhost",
            USER_PRESENT,
            0,
        );
        answers.push((ceremony, answer));
    }
    let sent = answers
        .into_iter()
        .map(|(ceremony, answer)| {
            let demo_http = demo.http.clone();
            let url = demo.url("/auth/passkeys/login");
            tokio::spawn(async move {
                demo_http
                    .post(url)
                    .json(&json!({ "ceremony": ceremony, "credential": answer }))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect::<Vec<_>>();
    let mut statuses = Vec::new();
    for handle in sent {
        statuses.push(handle.await.unwrap());
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + throttled, statuses.len(), "{statuses:?}");
    assert_eq!(checked, LIMIT, "{statuses:?}");
}
