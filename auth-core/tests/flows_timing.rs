//! Login timing does not tell which usernames exist: with the real (OWASP)
//! argon2 parameters, an unknown user and a wrong password cost the same.
//!
//! A statistical property, in a test binary of its own so that no other test
//! of this crate runs beside it: medians over interleaved samples after a
//! warm-up, compared by ratio.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::time::{Duration, Instant};

use auth_core::flow::FlowConfig;
use auth_core::store::MemoryStore;
use auth_core::{Authenticator, FlowError, PasswordPolicy};
use common::{PASSWORD, issuer, keys};

const SAMPLES: usize = 15;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn timed_failure(auth: &Authenticator, username: &str) -> Duration {
    let started = Instant::now();
    let result = auth.login(username, "not the password", None).await;
    let elapsed = started.elapsed();
    assert!(
        matches!(result, Err(FlowError::InvalidCredentials)),
        "{username}: {result:?}"
    );
    elapsed
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_users_and_wrong_passwords_take_the_same_time() {
    let policy = PasswordPolicy::default();
    assert!(policy.argon2_params().meets_owasp_minimum());
    // Enough failures allowed that throttling never answers early.
    let auth = Authenticator::builder(issuer(&keys()), MemoryStore::new())
        .password_policy(policy)
        .config(FlowConfig::default().max_failures(1_000))
        .build()
        .await
        .unwrap();
    auth.register("ada", PASSWORD, None).await.unwrap();

    // Warm-up: first-use costs (the dummy hash, allocations) stay out of the samples.
    for _ in 0..2 {
        timed_failure(&auth, "ada").await;
        timed_failure(&auth, "nobody").await;
    }
    // Interleaved, so that a change in machine load hits both series alike.
    let mut unknown = Vec::with_capacity(SAMPLES);
    let mut wrong = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        unknown.push(timed_failure(&auth, &format!("nobody-{i}")).await);
        wrong.push(timed_failure(&auth, "ada").await);
    }
    let (unknown, wrong) = (median(unknown), median(wrong));
    let ratio = unknown.as_secs_f64() / wrong.as_secs_f64();
    println!(
        "median login failure: unknown user {unknown:?}, wrong password {wrong:?}, ratio {ratio:.3}"
    );
    assert!(
        (0.5..=2.0).contains(&ratio),
        "unknown user {unknown:?} vs wrong password {wrong:?}: ratio {ratio:.3}"
    );
}
