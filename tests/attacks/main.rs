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

mod account_changes;
mod events;
mod names_and_bodies;
mod overload;
mod stolen_store;
mod throttles;
mod tokens;

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

/// The `WWW-Authenticate` value of a response.
fn challenge(response: &reqwest::Response) -> String {
    response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned()
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
