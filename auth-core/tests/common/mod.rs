//! Helpers shared by the flow tests (`flows_*.rs`): an [`Authenticator`] over
//! a [`MemoryStore`] with cheap argon2, logging in, and TOTP codes at the
//! real time (the memory store expires single-use marks by the real clock).

// Each test binary uses its own subset of these helpers.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::flow::{FlowConfig, LoginOutcome, MfaChallenge, TokenPair};
use auth_core::mfa::TotpSecret;
use auth_core::store::{MemoryStore, User};
use auth_core::{
    Algorithm, Authenticator, KeySet, PasswordPolicy, ServerSecret, TokenIssuer, Totp,
};

pub(crate) const ISSUER: &str = "https://id.example";
pub(crate) const AUDIENCE: &str = "api";
/// A password every helper registers users with.
pub(crate) const PASSWORD: &str = "correct horse battery";

/// Seconds since the epoch, as the library's clock reads them.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

pub(crate) fn keys() -> KeySet {
    KeySet::generate(Algorithm::EdDSA).unwrap()
}

pub(crate) fn issuer(keys: &KeySet) -> TokenIssuer {
    TokenIssuer::new(keys.clone(), ISSUER, AUDIENCE)
}

/// The server secret every authenticator of a test binary shares, as
/// instances sharing a store share their key folder.
pub(crate) fn server_secret() -> ServerSecret {
    static SECRET: OnceLock<ServerSecret> = OnceLock::new();
    SECRET
        .get_or_init(|| ServerSecret::generate().unwrap())
        .clone()
}

/// An authenticator with cheap argon2 over `store`, signing with `keys`.
pub(crate) async fn authenticator_with(
    store: &MemoryStore,
    keys: &KeySet,
    config: FlowConfig,
) -> Authenticator {
    Authenticator::builder(issuer(keys), store.clone())
        .server_secret(server_secret())
        .password_policy(PasswordPolicy::insecure_fast_for_tests())
        .config(config)
        .build()
        .await
        .unwrap()
}

/// An authenticator with cheap argon2 over a new store, and that store.
pub(crate) async fn authenticator(config: FlowConfig) -> (Authenticator, MemoryStore) {
    let store = MemoryStore::new();
    let auth = authenticator_with(&store, &keys(), config).await;
    (auth, store)
}

/// Logs in with the right password and expects tokens (no second factor).
pub(crate) async fn login(auth: &Authenticator, username: &str) -> TokenPair {
    match auth.login(username, PASSWORD, None).await.unwrap() {
        LoginOutcome::Tokens(tokens) => tokens,
        LoginOutcome::MfaRequired(_) => panic!("{username} has no second factor"),
    }
}

/// Logs in with the right password and expects a second-factor challenge.
pub(crate) async fn login_mfa(auth: &Authenticator, username: &str) -> MfaChallenge {
    match auth.login(username, PASSWORD, None).await.unwrap() {
        LoginOutcome::MfaRequired(challenge) => challenge,
        LoginOutcome::Tokens(_) => panic!("{username} should need a second factor"),
    }
}

/// Registers `username` with [`PASSWORD`] and logs in.
pub(crate) async fn register_and_login(auth: &Authenticator, username: &str) -> (User, TokenPair) {
    let user = auth.register(username, PASSWORD, None).await.unwrap();
    let tokens = login(auth, username).await;
    (user, tokens)
}

/// The code an authenticator app shows at `time` (RFC defaults: SHA-1, 6 digits, 30 s).
pub(crate) fn code_at(secret: &[u8], time: i64) -> String {
    Totp::issuer("test")
        .code_at(secret, time)
        .unwrap()
        .to_string()
}

/// The current time, at least `margin` seconds before the end of the
/// current 30 s TOTP step: waits for the next step when too close to the end,
/// so that codes computed now for steps s-1, s and s+1 are still inside the
/// ±1 step window when the flow checks them.
pub(crate) async fn time_with_step_margin(margin: i64) -> i64 {
    let left = 30 - now().rem_euclid(30);
    if left < margin {
        tokio::time::sleep(Duration::from_secs(left.unsigned_abs() + 1)).await;
    }
    now()
}

/// Six digits that are the code of no step within ±2 steps of `time`.
pub(crate) fn wrong_code(secret: &[u8], time: i64) -> String {
    let valid: HashSet<String> = (-2..=2)
        .map(|step| code_at(secret, time + 30 * step))
        .collect();
    (0..10u32)
        .map(|digit| digit.to_string().repeat(6))
        .find(|candidate| !valid.contains(candidate))
        .unwrap()
}

/// A user with confirmed TOTP.
pub(crate) struct Enrolled {
    pub(crate) user: User,
    pub(crate) secret: Vec<u8>,
    pub(crate) recovery_codes: Vec<String>,
    /// When enrolment was confirmed (with the code of the step before this
    /// time's step, so this step's and the next step's codes are unused).
    pub(crate) time: i64,
}

/// Registers `username`, enrols TOTP and confirms it with the code of the
/// previous step.
pub(crate) async fn enrolled_user(auth: &Authenticator, username: &str) -> Enrolled {
    let user = auth.register(username, PASSWORD, None).await.unwrap();
    let enrollment = auth.enroll_totp(&user.id).await.unwrap();
    let secret = TotpSecret::from_base32(&enrollment.secret_base32)
        .unwrap()
        .as_bytes()
        .to_vec();
    let time = time_with_step_margin(8).await;
    let recovery_codes = auth
        .confirm_totp(&user.id, &code_at(&secret, time - 30), None)
        .await
        .unwrap();
    Enrolled {
        user,
        secret,
        recovery_codes,
        time,
    }
}

/// Whether `token` looks like one of our refresh tokens: `rt1.`, the
/// session, generation and expiry, 256 random bits in unpadded base64url
/// (43 characters), and a 128-bit MAC (22 characters).
pub(crate) fn is_refresh_token(token: &str) -> bool {
    let base64url = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let fields: Vec<&str> = token.split('.').collect();
    matches!(
        fields.as_slice(),
        ["rt1", sid, generation, expires_at, secret, mac]
            if !sid.is_empty()
                && generation.parse::<u64>().is_ok()
                && expires_at.parse::<i64>().is_ok()
                && secret.len() == 43
                && base64url(secret)
                && mac.len() == 22
                && base64url(mac)
    )
}
