//! The flows' registration and password step through the public API:
//! password rules, roles at registration, the tokens of a login, throttling
//! per account and per client address, over-long passwords, and re-hashing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use auth_core::flow::{FlowConfig, LoginOutcome};
use auth_core::password::{Argon2Params, PasswordProblem};
use auth_core::store::{MemoryStore, UserStore};
use auth_core::{Authenticator, FlowError, KeySet, PasswordPolicy};
use common::{PASSWORD, authenticator, authenticator_with, keys, login, register_and_login};

const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
const OTHER_CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20));

#[tokio::test(flavor = "multi_thread")]
async fn register_creates_a_user_with_an_argon2id_hash() {
    let (auth, store) = authenticator(FlowConfig::default()).await;
    let user = auth.register("ada", PASSWORD, None).await.unwrap();
    assert_eq!(user.username, "ada");
    assert!(user.roles.is_empty());
    assert!(user.totp.is_none());
    let phc = user.password_hash.clone().unwrap();
    assert!(phc.starts_with("$argon2id$"), "{phc}");
    assert!(!phc.contains(PASSWORD));
    assert_eq!(store.user_by_name("ada").await.unwrap(), Some(user));
}

#[tokio::test(flavor = "multi_thread")]
async fn register_refuses_a_taken_username() {
    let (auth, _store) = authenticator(FlowConfig::default()).await;
    let first = auth.register("ada", PASSWORD, None).await.unwrap();
    let second = auth.register("ada", "another good password", None).await;
    assert!(
        matches!(second, Err(FlowError::UsernameTaken)),
        "{second:?}"
    );
    // The first account keeps its password.
    let tokens = login(&auth, "ada").await;
    let claims = auth.verifier().verify(&tokens.access.access_token).unwrap();
    assert_eq!(claims.sub, first.id);
}

#[tokio::test(flavor = "multi_thread")]
async fn register_refuses_weak_passwords() {
    let (auth, store) = authenticator(FlowConfig::default()).await;
    let cases = [
        ("u7", "x".repeat(7), PasswordProblem::TooShort { min: 8 }),
        (
            "u129",
            "x".repeat(129),
            PasswordProblem::TooLong { max: 128 },
        ),
        (
            "samename1",
            "samename1".to_owned(),
            PasswordProblem::SameAsUsername,
        ),
        (
            "SameName2",
            "samename2".to_owned(),
            PasswordProblem::SameAsUsername,
        ),
    ];
    for (username, password, problem) in cases {
        let result = auth.register(username, &password, None).await;
        match result {
            Err(FlowError::WeakPassword(found)) => assert_eq!(found, problem, "{username}"),
            other => panic!("{username}: expected WeakPassword, got {other:?}"),
        }
        assert_eq!(
            store.user_by_name(username).await.unwrap(),
            None,
            "{username}"
        );
    }
    // A huge password is refused before any hashing.
    let before = auth.password_hasher().pool_stats().completed;
    let result = auth.register("huge", &"x".repeat(10_000), None).await;
    assert!(
        matches!(
            result,
            Err(FlowError::WeakPassword(PasswordProblem::TooLong { .. }))
        ),
        "{result:?}"
    );
    assert_eq!(auth.password_hasher().pool_stats().completed, before);
    // The limits themselves are allowed.
    auth.register("u8", &"x".repeat(8), None).await.unwrap();
    auth.register("u128", &"x".repeat(128), None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn register_applies_roles_for_new_user() {
    let store = MemoryStore::new();
    let auth = Authenticator::builder(common::issuer(&keys()), store.clone())
        .password_policy(PasswordPolicy::insecure_fast_for_tests())
        .roles_for_new_user(|username| {
            if username == "admin" {
                vec!["admin".to_owned()]
            } else {
                Vec::new()
            }
        })
        .build()
        .await
        .unwrap();

    let (admin, tokens) = register_and_login(&auth, "admin").await;
    assert_eq!(admin.roles, ["admin"]);
    let claims = auth.verifier().verify(&tokens.access.access_token).unwrap();
    assert_eq!(claims.roles, ["admin"]);
    assert!(claims.has_role("admin"));

    let (user, tokens) = register_and_login(&auth, "grace").await;
    assert!(user.roles.is_empty());
    let claims = auth.verifier().verify(&tokens.access.access_token).unwrap();
    assert!(claims.roles.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn login_issues_password_tokens() {
    let (auth, _store) = authenticator(FlowConfig::default()).await;
    let user = auth.register("ada", PASSWORD, None).await.unwrap();
    let before = common::now();
    let tokens = login(&auth, "ada").await;

    let claims = auth.verifier().verify(&tokens.access.access_token).unwrap();
    assert_eq!(claims.sub, user.id);
    assert_eq!(claims.iss, common::ISSUER);
    assert!(claims.aud.contains(common::AUDIENCE));
    assert_eq!(claims.amr, ["pwd"]);
    assert!(!claims.is_mfa());
    assert!(claims.roles.is_empty());
    assert_eq!(claims.sid.as_deref(), Some(tokens.access.sid.as_str()));
    assert!(!tokens.access.sid.is_empty());
    assert_eq!(claims.jti, tokens.access.jti);
    assert!(claims.auth_time.is_some_and(|at| at >= before));

    let refresh = tokens.refresh.expose();
    assert!(common::is_refresh_token(refresh), "{refresh}");
    assert_eq!(tokens.refresh_expires_in, 14 * 24 * 3600);

    // Secrets stay out of Debug output.
    let debug = format!("{tokens:?}");
    assert!(!debug.contains(refresh));
    assert!(!debug.contains(&tokens.access.access_token));

    // Two logins are two sessions.
    let again = login(&auth, "ada").await;
    assert_ne!(again.access.sid, tokens.access.sid);
    assert_ne!(again.refresh.expose(), refresh);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_user_and_wrong_password_get_the_same_error() {
    let (auth, _store) = authenticator(FlowConfig::default()).await;
    auth.register("ada", PASSWORD, None).await.unwrap();
    let unknown = auth.login("nobody", PASSWORD, None).await.unwrap_err();
    let wrong = auth
        .login("ada", "wrong password!", None)
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, FlowError::InvalidCredentials),
        "{unknown:?}"
    );
    assert!(matches!(wrong, FlowError::InvalidCredentials), "{wrong:?}");
    assert_eq!(unknown.to_string(), wrong.to_string());
    assert!(!wrong.to_string().contains("wrong password"));
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_throttle_the_account_until_the_window_ends() {
    let config = FlowConfig::default()
        .max_failures(3)
        .throttle_window(Duration::from_secs(2));
    let (auth, _store) = authenticator(config).await;
    auth.register("ada", PASSWORD, None).await.unwrap();

    for attempt in 1..=3 {
        let result = auth.login("ada", "wrong password!", None).await;
        assert!(
            matches!(result, Err(FlowError::InvalidCredentials)),
            "attempt {attempt}: {result:?}"
        );
    }
    // Even the right password is refused now, with a hint when to come back.
    let retry_after = match auth.login("ada", PASSWORD, None).await {
        Err(FlowError::TooManyAttempts { retry_after }) => retry_after,
        other => panic!("expected TooManyAttempts, got {other:?}"),
    };
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    // Another account is not affected.
    auth.register("grace", PASSWORD, None).await.unwrap();
    login(&auth, "grace").await;

    // A functional wait: the window ends, and the account works again.
    tokio::time::sleep(Duration::from_secs(retry_after) + Duration::from_millis(1100)).await;
    let tokens = login(&auth, "ada").await;
    assert!(auth.verifier().verify(&tokens.access.access_token).is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_from_one_address_lock_that_address() {
    let config = FlowConfig::default().max_failures(3);
    let (auth, _store) = authenticator(config).await;
    for name in ["ada", "grace", "edsger", "barbara"] {
        auth.register(name, PASSWORD, None).await.unwrap();
    }
    // One failure each for three accounts (one of them unknown), all from CLIENT.
    for name in ["ada", "grace", "nobody"] {
        let result = auth.login(name, "wrong password!", Some(CLIENT)).await;
        assert!(
            matches!(result, Err(FlowError::InvalidCredentials)),
            "{name}: {result:?}"
        );
    }
    // CLIENT is locked, for a fourth account with its right password too.
    let result = auth.login("barbara", PASSWORD, Some(CLIENT)).await;
    assert!(
        matches!(result, Err(FlowError::TooManyAttempts { retry_after }) if retry_after > 0),
        "{result:?}"
    );
    // The accounts themselves are not locked: elsewhere, they log in.
    for name in ["barbara", "ada"] {
        let result = auth.login(name, PASSWORD, Some(OTHER_CLIENT)).await;
        assert!(
            matches!(result, Ok(LoginOutcome::Tokens(_))),
            "{name}: {result:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_success_clears_the_accounts_failures() {
    let (auth, _store) = authenticator(FlowConfig::default().max_failures(3)).await;
    auth.register("ada", PASSWORD, None).await.unwrap();
    for _ in 0..2 {
        let result = auth.login("ada", "wrong password!", None).await;
        assert!(
            matches!(result, Err(FlowError::InvalidCredentials)),
            "{result:?}"
        );
    }
    login(&auth, "ada").await;
    // Without the reset the second of these would already be refused (2 + 2 > 3).
    for attempt in 1..=2 {
        let result = auth.login("ada", "wrong password!", None).await;
        assert!(
            matches!(result, Err(FlowError::InvalidCredentials)),
            "attempt {attempt}: {result:?}"
        );
    }
    login(&auth, "ada").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_over_long_password_is_refused_without_hashing() {
    let (auth, _store) = authenticator(FlowConfig::default().max_failures(100)).await;
    auth.register("ada", PASSWORD, None).await.unwrap();
    let hasher = auth.password_hasher();

    // The measure works: a wrong password of normal length is one argon2 run.
    let before = hasher.pool_stats().completed;
    let result = auth.login("ada", "wrong password!", None).await;
    assert!(
        matches!(result, Err(FlowError::InvalidCredentials)),
        "{result:?}"
    );
    assert_eq!(hasher.pool_stats().completed, before + 1);

    let long = "p".repeat(10_000);
    let just_over = "p".repeat(129);
    for (username, password) in [
        ("ada", &long),
        ("nobody", &long),
        ("ada", &just_over),
        ("nobody", &just_over),
    ] {
        let before = hasher.pool_stats();
        let result = auth.login(username, password, None).await;
        assert!(
            matches!(result, Err(FlowError::InvalidCredentials)),
            "{username}, {} chars: {result:?}",
            password.len()
        );
        let after = hasher.pool_stats();
        assert_eq!(after.completed, before.completed, "no argon2 run");
        assert_eq!(after.running, 0);
    }
    // 128 characters is still a password: checked (and wrong).
    let before = hasher.pool_stats().completed;
    let result = auth.login("ada", &"p".repeat(128), None).await;
    assert!(
        matches!(result, Err(FlowError::InvalidCredentials)),
        "{result:?}"
    );
    assert_eq!(hasher.pool_stats().completed, before + 1);
}

/// The cheapest OWASP argon2id configuration: 7 MiB, 5 passes. Stronger
/// than the cheap test parameters, so a hash made with those is due for a
/// re-hash under it.
const OWASP_CHEAPEST: Argon2Params = Argon2Params {
    memory_kib: 7_168,
    iterations: 5,
    parallelism: 1,
};

/// An authenticator over `store`, signing with `keys`, whose `policy` hashes
/// with [`OWASP_CHEAPEST`]: the re-hashing counterpart of one built by
/// [`authenticator_with`] over the same store.
async fn owasp_authenticator(
    store: &MemoryStore,
    keys: &KeySet,
    policy: PasswordPolicy,
) -> Authenticator {
    let policy = policy.argon2(OWASP_CHEAPEST).unwrap();
    Authenticator::builder(common::issuer(keys), store.clone())
        .password_policy(policy)
        .build()
        .await
        .unwrap()
}

/// The PHC string stored for `username`, who must exist and have a password.
async fn stored_hash(store: &MemoryStore, username: &str) -> String {
    store
        .user_by_name(username)
        .await
        .unwrap()
        .unwrap()
        .password_hash
        .unwrap()
}

/// Registers with the cheap test parameters and logs in through an
/// authenticator whose policy asks for OWASP-strength parameters: the login
/// succeeds and replaces the stored hash.
#[tokio::test(flavor = "multi_thread")]
async fn login_rehashes_an_outdated_hash() {
    let store = MemoryStore::new();
    let keys = keys();
    let old = authenticator_with(&store, &keys, FlowConfig::default()).await;
    old.register("ada", PASSWORD, None).await.unwrap();
    let old_phc = stored_hash(&store, "ada").await;

    let new = owasp_authenticator(&store, &keys, PasswordPolicy::default()).await;
    assert!(new.password_hasher().needs_rehash(&old_phc));

    // A wrong password changes nothing.
    let result = new.login("ada", "wrong password!", None).await;
    assert!(
        matches!(result, Err(FlowError::InvalidCredentials)),
        "{result:?}"
    );
    let unchanged = stored_hash(&store, "ada").await;
    assert_eq!(unchanged, old_phc);

    let result = new.login("ada", PASSWORD, None).await;
    assert!(matches!(result, Ok(LoginOutcome::Tokens(_))), "{result:?}");
    let new_phc = stored_hash(&store, "ada").await;
    assert_ne!(new_phc, old_phc);
    assert!(new_phc.contains("m=7168,t=5,p=1"), "{new_phc}");
    assert!(!new.password_hasher().needs_rehash(&new_phc));

    // The new hash verifies, and is not replaced again.
    let result = new.login("ada", PASSWORD, None).await;
    assert!(matches!(result, Ok(LoginOutcome::Tokens(_))), "{result:?}");
    let kept = stored_hash(&store, "ada").await;
    assert_eq!(kept, new_phc);
}

/// A password set under an older, laxer policy (shorter than today's
/// minimum) still logs in when its hash is due for new parameters: the
/// re-hash is an upgrade of the stored hash, not a check of the password.
#[tokio::test(flavor = "multi_thread")]
async fn a_password_below_a_raised_minimum_still_logs_in_when_rehashed() {
    let store = MemoryStore::new();
    let keys = keys();
    let old = authenticator_with(&store, &keys, FlowConfig::default()).await;
    let short = "eight ch";
    old.register("ada", short, None).await.unwrap();
    let old_phc = stored_hash(&store, "ada").await;

    let stricter = PasswordPolicy::default().min_chars(12);
    let new = owasp_authenticator(&store, &keys, stricter).await;
    assert!(new.password_hasher().needs_rehash(&old_phc));
    let result = new.login("ada", short, None).await;
    assert!(matches!(result, Ok(LoginOutcome::Tokens(_))), "{result:?}");
    // It keeps its old hash, and a wrong password is still wrong.
    let kept = stored_hash(&store, "ada").await;
    assert_eq!(kept, old_phc);
    let result = new.login("ada", "eight cx", None).await;
    assert!(
        matches!(result, Err(FlowError::InvalidCredentials)),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn users_can_live_in_a_store_of_their_own() {
    // The application's user table (here another MemoryStore standing in
    // for it) beside the library's session state.
    let users = MemoryStore::new();
    let state = MemoryStore::new();
    let auth = Authenticator::builder(common::issuer(&keys()), state.clone())
        .users(users.clone())
        .password_policy(PasswordPolicy::insecure_fast_for_tests())
        .build()
        .await
        .unwrap();
    let user = auth.register("ada", PASSWORD, None).await.unwrap();
    let tokens = login(&auth, "ada").await;
    assert_eq!(
        auth.verifier()
            .verify(&tokens.access.access_token)
            .unwrap()
            .sub,
        user.id
    );
    assert!(users.user_by_id(&user.id).await.unwrap().is_some());
    assert!(
        state.user_by_id(&user.id).await.unwrap().is_none(),
        "the account lives in the user store only"
    );
    auth.refresh(tokens.refresh.expose(), None).await.unwrap();
}
