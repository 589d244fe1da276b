//! `auth-demo` tried as an attacker would: many requests at once, slow
//! connections, stolen and foreign tokens, look-alike names, a copy of the
//! store. Every limit is tested with its attempts sent concurrently, and the
//! throttles on all three stores.
//!
//! Each test sends from a loopback address of its own (127.x.y.z): the
//! per-address limits live in the shared stores too, and must not meet
//! another test's (or an earlier run's) counts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../support/mod.rs"]
mod support;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Demo, Session, own_loopback_address, service_url, totp_at, unique};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const PASSWORD: &str = "correct horse battery";
const WRONG: &str = "wrong horse battery";
/// `AUTH_DEMO_LOGIN_MAX_FAILURES`' default.
const LIMIT: usize = 5;
/// Attempts sent at once.
const BURST: usize = 60;

/// The stores to run a test on: memory, and Redis and PostgreSQL when their
/// URLs are set (required in CI).
fn stores() -> Vec<(&'static str, String)> {
    let mut stores = vec![("memory", "memory".to_owned())];
    if let Some(url) = service_url("REDIS_URL", "the attack tests on Redis") {
        stores.push(("redis", url));
    }
    if let Some(url) = service_url("DATABASE_URL", "the attack tests on PostgreSQL") {
        stores.push(("postgres", url));
    }
    stores
}

/// What one attempt of a burst got.
#[derive(Debug)]
struct Outcome {
    status: u16,
    retry_after: Option<u64>,
    body: Value,
}

impl Outcome {
    async fn of(response: reqwest::Response) -> Outcome {
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let body = response.json().await.unwrap_or(Value::Null);
        Outcome {
            status,
            retry_after,
            body,
        }
    }
}

/// POSTs every body to `path` at once from `client`; the outcomes in order.
async fn burst(client: &reqwest::Client, url: String, bodies: Vec<Value>) -> Vec<Outcome> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(bodies.len()));
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let (client, url, barrier) = (client.clone(), url.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                Outcome::of(client.post(url).json(&body).send().await.unwrap()).await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    outcomes
}

/// Of a burst, how many were checked (answered other than 429); every 429
/// must be `too_many_attempts` with a `Retry-After`.
fn checked(what: &str, outcomes: &[Outcome], allowed: &[u16]) -> usize {
    for outcome in outcomes {
        assert!(
            outcome.status == 429 || allowed.contains(&outcome.status),
            "{what}: unexpected {outcome:?}"
        );
        if outcome.status == 429 {
            assert_eq!(outcome.body["error"], "too_many_attempts", "{what}");
            assert!(
                outcome.retry_after.is_some_and(|s| s >= 1),
                "{what}: {outcome:?}"
            );
        }
    }
    outcomes.iter().filter(|o| o.status != 429).count()
}

/// The right password hidden at position 37 of a burst of wrong ones.
fn passwords_with_the_right_one(username: &str) -> Vec<Value> {
    (0..BURST)
        .map(|i| {
            let password = if i == 37 { PASSWORD } else { WRONG };
            json!({"username": username, "password": password})
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_logins_for_one_account_checks_at_most_the_limit_on_every_store() {
    for (store, url) in stores() {
        let demo = Demo::start(&[("AUTH_DEMO_STORE", &url)]).await;
        let name = unique("burst");
        demo.register(&name, PASSWORD).await;
        let attacker = demo.client_from(own_loopback_address());
        let outcomes = burst(
            &attacker,
            demo.url("/auth/login"),
            passwords_with_the_right_one(&name),
        )
        .await;
        let checked = checked(store, &outcomes, &[200, 401]);
        assert!(
            checked <= LIMIT,
            "{store}: {checked} of {BURST} simultaneous attempts were checked"
        );
        // Over the limit, the right password gets 429 like any other (unless
        // it was among the attempts checked: then the login succeeded and
        // cleared the account's failures, as any successful login does).
        let guessed = outcomes.iter().any(|o| o.status == 200);
        let after = attacker
            .post(demo.url("/auth/login"))
            .json(&json!({"username": name, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        if guessed {
            assert!([200, 429].contains(&after.status().as_u16()), "{store}");
        } else {
            assert_eq!(after.status(), 429, "{store}");
        }
        demo.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_from_one_address_over_many_accounts_checks_at_most_the_limit_on_every_store() {
    for (store, url) in stores() {
        let demo = Demo::start(&[("AUTH_DEMO_STORE", &url)]).await;
        let attacker = demo.client_from(own_loopback_address());
        let bodies = (0..BURST)
            .map(|_| json!({"username": unique("nobody"), "password": WRONG}))
            .collect();
        let outcomes = burst(&attacker, demo.url("/auth/login"), bodies).await;
        let checked = checked(store, &outcomes, &[401]);
        assert!(
            checked <= LIMIT,
            "{store}: {checked} attempts from one address were checked"
        );
        // Another address is not throttled by this one's failures.
        let name = unique("bystander");
        demo.register(&name, PASSWORD).await;
        let bystander = demo.client_from(own_loopback_address());
        let ok = bystander
            .post(demo.url("/auth/login"))
            .json(&json!({"username": name, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200, "{store}");
        demo.stop().await;
    }
}

/// Registers `name`, enrols and confirms TOTP; returns the base32 secret.
async fn with_totp(demo: &Demo, name: &str) -> String {
    demo.register(name, PASSWORD).await;
    let session = demo.login(name, PASSWORD).await;
    let enrolled = demo
        .post_bearer("/auth/mfa/totp/enroll", &session.access)
        .await;
    assert_eq!(enrolled.status(), 200);
    let secret = enrolled.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let confirmed = demo
        .post_json_bearer(
            "/auth/mfa/totp/confirm",
            &session.access,
            json!({"code": totp_at(&secret, 0)}),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    secret
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_second_step_codes_checks_at_most_the_limit_on_every_store() {
    for (store, url) in stores() {
        let demo = Demo::start(&[("AUTH_DEMO_STORE", &url)]).await;
        let name = unique("mfa-burst");
        let secret = with_totp(&demo, &name).await;
        let challenge = demo
            .post_json(
                "/auth/login",
                json!({"username": name, "password": PASSWORD}),
            )
            .await
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(challenge["mfa_required"], true);
        let mfa_token = challenge["mfa_token"].as_str().unwrap().to_owned();
        // The code of the next step: accepted (±1 step), not yet used.
        let right = totp_at(&secret, 30);
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        let bodies = (0..BURST)
            .map(|i| {
                let code = if i == 37 { right.as_str() } else { wrong };
                json!({"mfa_token": mfa_token, "code": code})
            })
            .collect();
        let attacker = demo.client_from(own_loopback_address());
        let outcomes = burst(&attacker, demo.url("/auth/mfa/verify"), bodies).await;
        let checked = checked(store, &outcomes, &[200, 401]);
        assert!(
            checked <= LIMIT,
            "{store}: {checked} of {BURST} simultaneous codes were checked"
        );
        demo.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registrations_from_one_address_are_limited_on_every_store() {
    for (store, url) in stores() {
        let demo = Demo::start(&[
            ("AUTH_DEMO_STORE", &url),
            ("AUTH_DEMO_REGISTRATIONS_PER_HOUR", "5"),
        ])
        .await;
        let attacker = demo.client_from(own_loopback_address());
        let bodies = (0..50)
            .map(|_| json!({"username": unique("flood"), "password": PASSWORD}))
            .collect();
        let outcomes = burst(&attacker, demo.url("/auth/register"), bodies).await;
        let created = checked(store, &outcomes, &[201]);
        assert_eq!(created, 5, "{store}: {outcomes:?}");
        assert!(
            outcomes
                .iter()
                .filter(|o| o.status == 429)
                .all(|o| o.retry_after.is_some_and(|s| s > 60)),
            "{store}: the hour-long window is announced"
        );
        demo.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn past_the_hashing_queue_register_and_login_answer_503_at_once() {
    let demo = Demo::start(&[("AUTH_DEMO_HASH_QUEUE", "0")]).await;
    let bodies = (0..50)
        .map(|_| json!({"username": unique("queue"), "password": PASSWORD}))
        .collect();
    let started = Instant::now();
    let outcomes = burst(&demo.http, demo.url("/auth/register"), bodies).await;
    let elapsed = started.elapsed();
    let refused: Vec<&Outcome> = outcomes.iter().filter(|o| o.status == 503).collect();
    assert!(
        !refused.is_empty(),
        "with no queue, most of 50 simultaneous hashes must be refused: {outcomes:?}"
    );
    for outcome in &refused {
        assert_eq!(outcome.body["error"], "temporarily_unavailable");
        assert!(outcome.retry_after.is_some(), "{outcome:?}");
    }
    assert!(
        outcomes.iter().all(|o| o.status == 201 || o.status == 503),
        "{outcomes:?}"
    );
    assert!(outcomes.iter().any(|o| o.status == 201));
    // Not a timing assertion on the app: only a guard that nothing queued.
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");

    // Login goes through the same bounded queue.
    let logins = (0..50)
        .map(|_| json!({"username": unique("nobody"), "password": WRONG}))
        .collect();
    let attacker = demo.client_from(own_loopback_address());
    let outcomes = burst(&attacker, demo.url("/auth/login"), logins).await;
    assert!(
        outcomes.iter().any(|o| o.status == 503),
        "login past the queue: {outcomes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_head_is_cut_off_while_the_app_keeps_answering() {
    let demo = Demo::start(&[]).await;
    let address = demo.url("").trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    let opened = Instant::now();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    // Meanwhile a new connection is served at once.
    let health = demo.http.get(demo.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    let mut buffer = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(15), slow.read(&mut buffer)).await;
    let closed_after = opened.elapsed();
    match read {
        Ok(Ok(0) | Err(_)) => {}
        Ok(Ok(n)) => panic!(
            "expected the connection closed, got {:?}",
            String::from_utf8_lossy(&buffer[..n])
        ),
        Err(_) => panic!("the half-open connection was still open after 15 s"),
    }
    assert!(
        closed_after >= Duration::from_secs(9),
        "closed by the head timeout, not at once: {closed_after:?}"
    );
    let health = demo.http.get(demo.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

/// The `WWW-Authenticate` value of a response.
fn challenge(response: &reqwest::Response) -> String {
    response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_changes_need_a_recent_login() {
    let demo = Demo::start(&[("AUTH_DEMO_STEP_UP_MAX_AGE", "2")]).await;
    let name = unique("stepup");
    demo.register(&name, PASSWORD).await;
    let session = demo.login(&name, PASSWORD).await;
    let key = demo
        .post_json_bearer("/auth/api-keys", &session.access, json!({"name": "ci"}))
        .await;
    assert_eq!(key.status(), 201, "fresh from a login");
    assert_eq!(
        demo.get_bearer("/api/recent", &session.access)
            .await
            .status(),
        200
    );

    tokio::time::sleep(Duration::from_millis(3100)).await;
    // A refresh keeps the login's `auth_time`: it does not make it recent.
    let refreshed = Session::from_token_response(demo.refresh(&session.refresh).await).await;
    for token in [&session.access, &refreshed.access] {
        for (path, body) in [
            ("/auth/api-keys", Some(json!({"name": "stolen"}))),
            ("/auth/mfa/totp/enroll", None),
            ("/auth/mfa/totp/confirm", Some(json!({"code": "123456"}))),
        ] {
            let response = match body {
                Some(body) => demo.post_json_bearer(path, token, body).await,
                None => demo.post_bearer(path, token).await,
            };
            assert_eq!(response.status(), 401, "{path}");
            let challenge = challenge(&response);
            assert!(
                challenge.contains(r#"error="insufficient_user_authentication""#)
                    && challenge.ends_with("max_age=2"),
                "{path}: {challenge}"
            );
        }
        let recent = demo.get_bearer("/api/recent", token).await;
        assert_eq!(recent.status(), 401);
        assert!(challenge(&recent).contains("max_age=2"));
        // Reading is not an account change.
        assert_eq!(demo.get_bearer("/api/me", token).await.status(), 200);
    }
    let again = demo.login(&name, PASSWORD).await;
    let key = demo
        .post_json_bearer("/auth/api-keys", &again.access, json!({"name": "ci"}))
        .await;
    assert_eq!(key.status(), 201, "a new login is recent again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_user_holds_at_most_a_hundred_api_keys_on_every_store() {
    for (store, url) in stores() {
        let demo = Demo::start(&[("AUTH_DEMO_STORE", &url)]).await;
        let name = unique("keys");
        demo.register(&name, PASSWORD).await;
        let session = demo.login(&name, PASSWORD).await;
        let client = reqwest::Client::new();
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(110));
        let tasks: Vec<_> = (0..110)
            .map(|i| {
                let (client, url, token, barrier) = (
                    client.clone(),
                    demo.url("/auth/api-keys"),
                    session.access.clone(),
                    barrier.clone(),
                );
                tokio::spawn(async move {
                    barrier.wait().await;
                    let response = client
                        .post(url)
                        .bearer_auth(token)
                        .json(&json!({"name": format!("key {i}")}))
                        .send()
                        .await
                        .unwrap();
                    Outcome::of(response).await
                })
            })
            .collect();
        let mut created = Vec::new();
        for task in tasks {
            let outcome = task.await.unwrap();
            match outcome.status {
                201 => created.push(outcome.body["id"].as_str().unwrap().to_owned()),
                409 => assert_eq!(outcome.body["error"], "too_many_api_keys", "{store}"),
                _ => panic!("{store}: {outcome:?}"),
            }
        }
        assert_eq!(created.len(), 100, "{store}");
        // Deleting one frees a place.
        let deleted = demo
            .http
            .delete(demo.url(&format!("/auth/api-keys/{}", created[0])))
            .bearer_auth(&session.access)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), 204, "{store}");
        let one_more = demo
            .post_json_bearer("/auth/api-keys", &session.access, json!({"name": "last"}))
            .await;
        assert_eq!(one_more.status(), 201, "{store}");
        demo.stop().await;
    }
}

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

#[tokio::test]
async fn usernames_are_compared_as_people_read_them() {
    let demo = Demo::start(&[]).await;
    let id = demo.register("Alice", PASSWORD).await;
    for twin in ["alice", "ALICE", "Ａｌｉｃｅ"] {
        let response = demo
            .post_json(
                "/auth/register",
                json!({"username": twin, "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), 409, "{twin}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "username_taken"
        );
    }
    for refused in [
        "alice\u{200b}",
        "\u{202e}Alice",
        "ada lovelace",
        "",
        "a\u{0}b",
    ] {
        let response = demo
            .post_json(
                "/auth/register",
                json!({"username": refused, "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), 422, "{refused:?}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_username",
            "{refused:?}"
        );
    }
    for typed in ["alice", "ALICE", "Ａｌｉｃｅ"] {
        let session = demo.login(typed, PASSWORD).await;
        assert_eq!(support::claims(&session.access)["sub"], id.as_str());
    }
}

#[tokio::test]
async fn a_copy_of_the_store_gives_away_no_second_factor() {
    let Some(url) = service_url("DATABASE_URL", "the leaked-store test") else {
        return;
    };
    let demo = Demo::start(&[("AUTH_DEMO_STORE", &url)]).await;
    let name = unique("leak");
    demo.register(&name, PASSWORD).await;
    let session = demo.login(&name, PASSWORD).await;
    let enrolled: Value = demo
        .post_bearer("/auth/mfa/totp/enroll", &session.access)
        .await
        .json()
        .await
        .unwrap();
    let secret = enrolled["secret"].as_str().unwrap().to_owned();
    let confirmed: Value = demo
        .post_json_bearer(
            "/auth/mfa/totp/confirm",
            &session.access,
            json!({"code": totp_at(&secret, 0)}),
        )
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<String> = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();

    // What a copy of the database holds for the user.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    let (stored_secret, stored_codes): (Vec<u8>, Vec<Vec<u8>>) = sqlx::query_as(
        "SELECT totp_secret, recovery_codes FROM auth.auth_users WHERE username = $1",
    )
    .bind(name.to_lowercase())
    .fetch_one(&pool)
    .await
    .unwrap();
    let raw = totp_rs::Secret::try_from_base32(&secret)
        .unwrap()
        .as_bytes()
        .to_vec();
    assert!(
        !stored_secret
            .windows(raw.len())
            .any(|w| w == raw.as_slice()),
        "the TOTP secret is stored sealed, never in the clear"
    );
    assert_eq!(stored_codes.len(), 10);
    for code in &codes {
        let unkeyed = auth_core::mfa::RecoveryCodes::hash(code).unwrap();
        assert!(
            !stored_codes
                .iter()
                .any(|stored| stored.as_slice() == unkeyed.0),
            "recovery codes are stored as keyed hashes, not a plain SHA-256"
        );
    }
}

#[tokio::test]
async fn bodies_must_be_json_objects() {
    let demo = Demo::start(&[]).await;
    for path in ["/auth/register", "/auth/login"] {
        let response = demo
            .post_json(path, json!([unique("array"), PASSWORD]))
            .await;
        assert_eq!(response.status(), 422, "{path}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_request"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_and_json_logins_count_one_dual_stack_client_as_one_address() {
    // On `[::]` an IPv4 client arrives as `::ffff:127.x.y.z`.
    let demo = Demo::start(&[("AUTH_DEMO_ADDR", "[::]:0")]).await;
    let client = demo.client_from(own_loopback_address());
    for attempt in 0..LIMIT {
        let username = unique("nobody");
        let status = if attempt % 2 == 0 {
            client
                .post(demo.url("/login"))
                .form(&[("username", username.as_str()), ("password", WRONG)])
                .send()
                .await
                .unwrap()
                .status()
        } else {
            client
                .post(demo.url("/auth/login"))
                .json(&json!({"username": username, "password": WRONG}))
                .send()
                .await
                .unwrap()
                .status()
        };
        assert_eq!(status, 401, "attempt {attempt}");
    }
    for via_form in [false, true] {
        let username = unique("nobody");
        let request = if via_form {
            client
                .post(demo.url("/login"))
                .form(&[("username", username.as_str()), ("password", WRONG)])
        } else {
            client
                .post(demo.url("/auth/login"))
                .json(&json!({"username": username, "password": WRONG}))
        };
        assert_eq!(
            request.send().await.unwrap().status(),
            429,
            "both routes count the same address (form: {via_form})"
        );
    }
}

/// The security events of one JSON log line, as `(event, line)`.
fn events(lines: &[String]) -> Vec<(String, Value)> {
    lines
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|value| Some((value.get("event")?.as_str()?.to_owned(), value)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_events_are_logged_as_json_without_secrets() {
    let demo = Demo::start_logging(&[
        ("AUTH_DEMO_LOG_FORMAT", "json"),
        ("RUST_LOG", "info"),
        ("AUTH_DEMO_REFRESH_REUSE_INTERVAL", "0"),
    ])
    .await;
    let ip: IpAddr = own_loopback_address();
    let client = demo.client_from(ip);
    let name = unique("events");
    let user_id = demo.register(&name, PASSWORD).await;
    let login = |password: &'static str| {
        client
            .post(demo.url("/auth/login"))
            .json(&json!({"username": name, "password": password}))
            .send()
    };
    assert_eq!(login(WRONG).await.unwrap().status(), 401);
    let session = Session::from_token_response(login(PASSWORD).await.unwrap()).await;
    let second = Session::from_token_response(login(PASSWORD).await.unwrap()).await;
    let key: Value = demo
        .post_json_bearer("/auth/api-keys", &session.access, json!({"name": "ci"}))
        .await
        .json()
        .await
        .unwrap();
    let deleted = demo
        .http
        .delete(demo.url(&format!("/auth/api-keys/{}", key["id"].as_str().unwrap())))
        .bearer_auth(&session.access)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let secret = with_totp_for(&demo, &session).await;
    let rotated = Session::from_token_response(demo.refresh(&session.refresh).await).await;
    assert_eq!(demo.refresh(&session.refresh).await.status(), 401, "reuse");
    let other = demo
        .post_json(
            "/auth/login",
            json!({"username": name, "password": PASSWORD}),
        )
        .await;
    let mfa_token = other.json::<Value>().await.unwrap()["mfa_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let failed = demo
        .post_json(
            "/auth/mfa/verify",
            json!({"mfa_token": mfa_token, "code": "000000"}),
        )
        .await;
    assert!(failed.status() == 401 || totp_at(&secret, 0) == "000000");
    let fresh = demo
        .post_json(
            "/auth/mfa/verify",
            json!({"mfa_token": mfa_token, "code": totp_at(&secret, 30)}),
        )
        .await;
    let fresh = Session::from_token_response(fresh).await;
    assert_eq!(
        demo.post_bearer("/auth/logout", &fresh.access)
            .await
            .status(),
        204
    );
    assert_eq!(
        demo.post_bearer("/auth/logout-all", &second.access)
            .await
            .status(),
        204
    );
    for _ in 0..LIMIT {
        let _ = login(WRONG).await;
    }
    assert_eq!(login(WRONG).await.unwrap().status(), 429);

    tokio::time::sleep(Duration::from_millis(300)).await;
    let lines = demo.logs();
    let found = events(&lines);
    let with = |name: &'static str| found.iter().filter(move |(event, _)| event == name);
    for name in [
        "user.registered",
        "login.failed",
        "login.succeeded",
        "login.throttled",
        "mfa.failed",
        "refresh.reused",
        "logout",
        "logout_all",
        "api_key.created",
        "api_key.deleted",
        "totp.enrolled",
    ] {
        assert!(with(name).next().is_some(), "no {name} event in {lines:#?}");
    }
    for name in [
        "login.succeeded",
        "api_key.created",
        "logout_all",
        "totp.enrolled",
    ] {
        assert!(
            with(name).any(|(_, line)| line["user"] == user_id.as_str()),
            "{name} names the user"
        );
    }
    assert!(
        with("login.failed").any(|(_, line)| line["client_ip"] == ip.to_string().as_str()),
        "login.failed names the client address"
    );
    for (_, line) in &found {
        assert!(line.get("timestamp").is_some() && line.get("level").is_some());
    }
    // No secret anywhere in the log.
    let everything = lines.join("\n");
    for secret_text in [
        PASSWORD,
        WRONG,
        session.access.as_str(),
        session.refresh.as_str(),
        rotated.refresh.as_str(),
        secret.as_str(),
        mfa_token.as_str(),
        key["key"].as_str().unwrap(),
    ] {
        assert!(
            !everything.contains(secret_text),
            "a secret reached the log"
        );
    }
}

/// Enrols and confirms TOTP for the user of `session`; the base32 secret.
async fn with_totp_for(demo: &Demo, session: &Session) -> String {
    let enrolled: Value = demo
        .post_bearer("/auth/mfa/totp/enroll", &session.access)
        .await
        .json()
        .await
        .unwrap();
    let secret = enrolled["secret"].as_str().unwrap().to_owned();
    let confirmed = demo
        .post_json_bearer(
            "/auth/mfa/totp/confirm",
            &session.access,
            json!({"code": totp_at(&secret, 0)}),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    secret
}
