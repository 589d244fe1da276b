//! argon2id passwords through the public API: hashing, verification, rehash,
//! length rules, the dummy verification, the pool bound and malformed hashes.
//! (The pool's waiting and cancellation are shown with a held slot in the
//! crate's own tests, `src/password/tests.rs`.)

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use argon2::password_hash::{PasswordHasher as _, SaltString};
use auth_core::password::{Argon2Params, PasswordCheck, PasswordProblem};
use auth_core::{PasswordError, PasswordHasher, PasswordPolicy};
use proptest::prelude::*;

/// Only a guard against a hang; no test asserts on time.
const HANG_GUARD: Duration = Duration::from_secs(60);

const PASSWORD: &str = "correct horse battery staple";

fn cheap() -> PasswordHasher {
    PasswordHasher::new(PasswordPolicy::insecure_fast_for_tests())
}

async fn guarded<F: Future>(future: F) -> F::Output {
    match tokio::time::timeout(HANG_GUARD, future).await {
        Ok(output) => output,
        Err(_) => panic!("hang guard"),
    }
}

/// A PHC string made by the `argon2` crate directly, with any variant and parameters.
fn foreign_hash(
    algorithm: argon2::Algorithm,
    m: u32,
    t: u32,
    output_len: usize,
    password: &str,
) -> Result<String, argon2::password_hash::Error> {
    let params = argon2::Params::new(m, t, 1, Some(output_len))?;
    let salt = SaltString::encode_b64(b"sixteen byte salt")?;
    let hash = argon2::Argon2::new(algorithm, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)?;
    Ok(hash.to_string())
}

#[tokio::test]
async fn a_hash_verifies_with_its_password_only() {
    let hasher = cheap();
    let stored = guarded(hasher.hash(PASSWORD)).await.unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=8,t=1,p=1$"),
        "{stored}"
    );
    assert!(!stored.contains(PASSWORD));
    assert_eq!(
        guarded(hasher.verify(PASSWORD, &stored)).await.unwrap(),
        PasswordCheck::Match
    );

    for wrong in [
        "Correct horse battery staple",
        "correct horse battery stapl",
        "",
        "x",
    ] {
        let check = guarded(hasher.verify(wrong, &stored)).await.unwrap();
        assert_eq!(check, PasswordCheck::Mismatch, "{wrong:?}");
        assert!(!check.is_match());
    }

    // A fresh salt each time.
    let again = guarded(hasher.hash(PASSWORD)).await.unwrap();
    assert_ne!(stored, again);
    assert!(
        guarded(hasher.verify(PASSWORD, &again))
            .await
            .unwrap()
            .is_match()
    );
}

#[tokio::test]
async fn the_default_policy_is_owasp_and_weaker_params_are_refused() {
    let policy = PasswordPolicy::default();
    assert_eq!(
        policy.argon2_params(),
        Argon2Params {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1
        }
    );
    assert_eq!((policy.min_len(), policy.max_len()), (8, 128));
    let cores = std::thread::available_parallelism().unwrap().get();
    assert_eq!(policy.concurrency(), (cores - 1).max(1));
    assert_eq!(
        PasswordPolicy::default().max_concurrency(0).concurrency(),
        1
    );

    // The dummy hash shows what a default hasher would produce, without paying for a hash.
    let hasher = PasswordHasher::default();
    assert!(
        hasher
            .dummy_hash()
            .unwrap()
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
    );

    let params = |memory_kib, iterations, parallelism| Argon2Params {
        memory_kib,
        iterations,
        parallelism,
    };
    for weak in [
        params(19_455, 2, 1),
        params(19_456, 1, 1),
        params(7_168, 4, 1),
        params(47_103, 1, 1),
        params(19_456, 2, 0),
    ] {
        assert!(!weak.meets_owasp_minimum(), "{weak:?}");
        let refused = PasswordPolicy::default().argon2(weak);
        assert!(
            matches!(refused, Err(PasswordError::BelowMinimum(_))),
            "{weak:?}"
        );
    }
    for strong in [
        params(47_104, 1, 1),
        params(12_288, 3, 1),
        params(7_168, 5, 1),
        params(65_536, 3, 4),
    ] {
        let policy = PasswordPolicy::default().argon2(strong).unwrap();
        assert_eq!(policy.argon2_params(), strong);
    }
    // The cheap test parameters cannot be reached through the checked setter.
    let cheap = PasswordPolicy::insecure_fast_for_tests().argon2_params();
    assert!(!cheap.meets_owasp_minimum());
    assert!(PasswordPolicy::default().argon2(cheap).is_err());
}

#[tokio::test]
async fn a_parameter_change_asks_for_a_rehash() {
    let cheap = cheap();
    let owasp = PasswordHasher::default();
    let stored = guarded(cheap.hash(PASSWORD)).await.unwrap();
    assert!(!cheap.needs_rehash(&stored));
    assert!(owasp.needs_rehash(&stored));
    // Verifying runs the stored (cheap) parameters, and reports the change.
    assert_eq!(
        guarded(owasp.verify(PASSWORD, &stored)).await.unwrap(),
        PasswordCheck::MatchNeedsRehash
    );
    assert_eq!(
        guarded(owasp.verify("wrong password", &stored))
            .await
            .unwrap(),
        PasswordCheck::Mismatch
    );

    // Another OWASP configuration of equal strength still differs.
    let other = PasswordHasher::new(
        PasswordPolicy::default()
            .argon2(Argon2Params {
                memory_kib: 12_288,
                iterations: 3,
                parallelism: 1,
            })
            .unwrap(),
    );
    let current = owasp.dummy_hash().unwrap();
    assert!(!owasp.needs_rehash(current));
    assert!(other.needs_rehash(current));
    assert!(owasp.needs_rehash(other.dummy_hash().unwrap()));

    // Another variant or digest length with the same cost.
    let argon2i = foreign_hash(argon2::Algorithm::Argon2i, 8, 1, 32, PASSWORD).unwrap();
    assert!(cheap.needs_rehash(&argon2i));
    assert_eq!(
        guarded(cheap.verify(PASSWORD, &argon2i)).await.unwrap(),
        PasswordCheck::MatchNeedsRehash
    );
    let short_digest = foreign_hash(argon2::Algorithm::Argon2id, 8, 1, 16, PASSWORD).unwrap();
    assert!(cheap.needs_rehash(&short_digest));
    let same = foreign_hash(argon2::Algorithm::Argon2id, 8, 1, 32, PASSWORD).unwrap();
    assert!(!cheap.needs_rehash(&same));
    assert_eq!(
        guarded(cheap.verify(PASSWORD, &same)).await.unwrap(),
        PasswordCheck::Match
    );

    assert!(cheap.needs_rehash("not a hash"));
}

#[tokio::test]
async fn lengths_are_counted_in_characters() {
    let hasher = cheap();
    let longest = "é".repeat(128); // 256 bytes
    let stored = guarded(hasher.hash(&longest)).await.unwrap();
    assert!(
        guarded(hasher.verify(&longest, &stored))
            .await
            .unwrap()
            .is_match()
    );

    let too_long = "é".repeat(129);
    assert!(matches!(
        guarded(hasher.hash(&too_long)).await,
        Err(PasswordError::TooLong { max: 128 })
    ));
    assert!(matches!(
        guarded(hasher.verify(&too_long, &stored)).await,
        Err(PasswordError::TooLong { max: 128 })
    ));

    // Eight bytes but four characters: too short; eight characters: fine.
    assert!(matches!(
        guarded(hasher.hash(&"é".repeat(4))).await,
        Err(PasswordError::TooShort { min: 8 })
    ));
    assert!(guarded(hasher.hash(&"é".repeat(8))).await.is_ok());
    // A short password set under an older policy still verifies.
    let old = foreign_hash(argon2::Algorithm::Argon2id, 8, 1, 32, "abc").unwrap();
    assert!(
        guarded(hasher.verify("abc", &old))
            .await
            .unwrap()
            .is_match()
    );

    let custom = PasswordHasher::new(
        PasswordPolicy::insecure_fast_for_tests()
            .min_chars(3)
            .max_chars(5),
    );
    assert!(guarded(custom.hash("abc")).await.is_ok());
    assert!(matches!(
        guarded(custom.hash("ab")).await,
        Err(PasswordError::TooShort { min: 3 })
    ));
    assert!(matches!(
        guarded(custom.hash("abcdef")).await,
        Err(PasswordError::TooLong { max: 5 })
    ));
}

#[tokio::test]
async fn an_over_long_password_never_reaches_the_pool() {
    let hasher = cheap();
    let stored = guarded(hasher.hash(PASSWORD)).await.unwrap();
    let before = hasher.pool_stats();
    let huge = "x".repeat(10_000);
    for outcome in [
        guarded(hasher.hash(&huge)).await.map(|_| ()),
        guarded(hasher.verify(&huge, &stored)).await.map(|_| ()),
        guarded(hasher.verify_dummy(&huge)).await.map(|_| ()),
    ] {
        assert!(matches!(outcome, Err(PasswordError::TooLong { max: 128 })));
    }
    assert_eq!(hasher.pool_stats(), before);
    assert_eq!(before.completed, 1);
}

#[test]
fn new_passwords_are_checked_for_length_and_username() {
    let policy = PasswordPolicy::default();
    assert_eq!(
        policy.check_new_password("hunter22hunter22", Some("alice")),
        Ok(())
    );
    assert_eq!(
        policy.check_new_password("hunter2", None),
        Err(PasswordProblem::TooShort { min: 8 })
    );
    assert_eq!(
        policy.check_new_password(&"a".repeat(129), None),
        Err(PasswordProblem::TooLong { max: 128 })
    );
    assert_eq!(
        policy.check_new_password("Alice.Liddell", Some("alice.liddell")),
        Err(PasswordProblem::SameAsUsername)
    );
    assert_eq!(
        policy.check_new_password("alice.liddell!", Some("alice.liddell")),
        Ok(())
    );
    let message = policy
        .check_new_password("Alice.Liddell", Some("alice.liddell"))
        .unwrap_err()
        .to_string();
    assert!(!message.to_lowercase().contains("liddell"), "{message}");
}

#[tokio::test]
async fn the_dummy_verification_does_the_current_work_and_never_matches() {
    let hasher = cheap();
    let dummy = hasher.dummy_hash().unwrap().to_owned();
    assert!(dummy.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{dummy}");
    assert!(!hasher.needs_rehash(&dummy));
    assert_eq!(
        hasher.clone().dummy_hash().unwrap(),
        dummy,
        "drawn once per hasher"
    );
    assert_ne!(cheap().dummy_hash().unwrap(), dummy);

    for password in [PASSWORD, "", "anything at all"] {
        let before = hasher.pool_stats().completed;
        assert_eq!(
            guarded(hasher.verify_dummy(password)).await.unwrap(),
            PasswordCheck::Mismatch
        );
        assert_eq!(
            hasher.pool_stats().completed,
            before + 1,
            "one argon2 run on the pool"
        );
        assert_eq!(
            guarded(hasher.verify(password, &dummy)).await.unwrap(),
            PasswordCheck::Mismatch
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_verifications_stay_within_the_bound() {
    const N: usize = 2;
    let hasher = PasswordHasher::new(PasswordPolicy::insecure_fast_for_tests().max_concurrency(N));
    // Costlier than the test policy, so that the verifications overlap.
    let stored = foreign_hash(argon2::Algorithm::Argon2id, 1024, 2, 32, PASSWORD).unwrap();
    let tasks: Vec<_> = (0..4 * N)
        .map(|_| {
            let (hasher, stored) = (hasher.clone(), stored.clone());
            tokio::spawn(async move { hasher.verify(PASSWORD, &stored).await })
        })
        .collect();
    for task in tasks {
        assert!(guarded(task).await.unwrap().unwrap().is_match());
    }
    let stats = hasher.pool_stats();
    assert_eq!(stats.capacity, N);
    assert!((1..=N).contains(&stats.high_water), "{stats:?}");
    assert_eq!(
        (stats.running, stats.waiting, stats.completed),
        (0, 0, 4 * N as u64)
    );
}

#[test]
fn outside_a_tokio_runtime_hashing_is_an_error_not_a_panic() {
    let hasher = cheap();
    let mut hashing = pin!(hasher.hash(PASSWORD));
    let outcome = hashing
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()));
    assert!(matches!(outcome, Poll::Ready(Err(PasswordError::Pool(_)))));
}

#[tokio::test]
async fn malformed_or_unaffordable_hashes_are_errors() {
    let hasher = cheap();
    let good = guarded(hasher.hash(PASSWORD)).await.unwrap();
    let (head, digest) = good.rsplit_once('$').unwrap();
    let cases = [
        String::new(),
        "$".into(),
        "plain text".into(),
        "$argon2id$".into(),
        "$argon2id$v=19$m=8,t=1,p=1".into(),
        head.to_owned(),                                       // no digest
        format!("{head}$"),                                    // empty digest
        format!("$argon2id$v=19$m=8,t=1,p=1$c2FsdA${digest}"), // 4-byte salt
        format!("$argon2id$v=18$m=8,t=1,p=1$c2l4dGVlbiBieXRlIHNhbHQ${digest}"),
        format!("$argon2id$v=19$m=8,t=1,p=0$c2l4dGVlbiBieXRlIHNhbHQ${digest}"),
        format!("$argon2id$v=19$m=8,t=0,p=1$c2l4dGVlbiBieXRlIHNhbHQ${digest}"),
        format!("$argon2id$v=19$m=8,t=1,p=1,x=1$c2l4dGVlbiBieXRlIHNhbHQ${digest}"),
        format!("$argon2id$v=19$m=4294967295,t=1,p=1$c2l4dGVlbiBieXRlIHNhbHQ${digest}"),
        format!("$argon2id$v=19$m=262145,t=1,p=1$c2l4dGVlbiBieXRlIHNhbHQ${digest}"),
        format!("$argon2id$v=19$m=8,t=33,p=1$c2l4dGVlbiBieXRlIHNhbHQ${digest}"),
        format!("$scrypt$ln=16,r=8,p=1$c2l4dGVlbiBieXRlIHNhbHQ${digest}"),
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW".into(),
    ];
    for phc in &cases {
        let outcome = guarded(hasher.verify(PASSWORD, phc)).await;
        assert!(
            matches!(outcome, Err(PasswordError::MalformedHash)),
            "{phc:?}: {outcome:?}"
        );
        assert!(hasher.needs_rehash(phc), "{phc:?}");
    }
    // Every truncation of a good hash, and the good hash itself.
    for end in 0..=good.len() {
        let phc = good.get(..end).unwrap();
        let outcome = guarded(hasher.verify(PASSWORD, phc)).await;
        match outcome {
            Ok(PasswordCheck::Match) => assert_eq!(end, good.len()),
            Ok(PasswordCheck::Mismatch) | Err(PasswordError::MalformedHash) => {}
            other => panic!("{phc:?}: {other:?}"),
        }
    }
}

fn phc_like() -> impl Strategy<Value = String> {
    let algorithm = prop_oneof![
        "argon2id",
        "argon2i",
        "argon2d",
        "scrypt",
        "[a-z0-9-]{0,12}"
    ];
    let version = prop_oneof![Just(String::new()), "v=(16|19|[0-9]{1,3})\\$"];
    let extra = prop_oneof![
        Just(String::new()),
        ",keyid=[A-Za-z0-9+/]{0,12}",
        ",data=[A-Za-z0-9+/]{0,50}",
        ",[a-z]=[0-9]"
    ];
    (
        algorithm,
        version,
        (0u32..80, 0u32..4, 0u32..4),
        extra,
        "[A-Za-z0-9+/]{0,30}",
        proptest::option::of("[A-Za-z0-9+/]{0,100}"),
    )
        .prop_map(|(algorithm, version, (m, t, p), extra, salt, digest)| {
            let digest = digest.map(|d| format!("${d}")).unwrap_or_default();
            format!("${algorithm}${version}m={m},t={t},p={p}{extra}${salt}{digest}")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_stored_hashes_never_panic(phc in prop_oneof![any::<String>(), phc_like()], password in "\\PC{0,20}") {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let hasher = cheap();
        let outcome = runtime.block_on(hasher.verify(&password, &phc));
        prop_assert!(
            matches!(outcome, Ok(PasswordCheck::Mismatch) | Err(PasswordError::MalformedHash)),
            "{:?}: {:?}", phc, outcome
        );
        // Anything that does not verify cleanly is not a current hash.
        if outcome.is_err() {
            prop_assert!(hasher.needs_rehash(&phc));
        }
    }
}
