//! How long verifying one access token takes, per algorithm:
//!
//! - `raw signature`: the signature check alone (aws-lc-rs), the floor;
//! - `cold`: our full [`Verifier::verify`] of a token not seen before (the
//!   cache off), with a revocation list holding a realistic number of
//!   entries, so the lookup is exercised;
//! - `cache hit`: the same token again, answered from the verifier's cache
//!   (time, revocation and key checks made again);
//! - `jsonwebtoken`: a bare `jsonwebtoken::decode` of the same token into the
//!   same claims struct, with the same `iss`, `aud`, leeway and time checks
//!   (`jsonwebtoken` does not look at `typ`).
//!
//! Then `revocation_lookup`: one lookup in an empty list and in one holding
//! a million revocations; and `threads`: hits on one and on two threads,
//! beside a calibration of how far the machine's cores scale at best. Before measuring, it prints
//! the heap allocations of one verification (a counting allocator).
//!
//! `cargo bench -p auth-core --bench verify -- --warm-up-time 1 --measurement-time 3`

// Fixture setup runs once, before measuring, on data made here: a failure there
// must abort the run loudly rather than measure something else.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::alloc::System;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_core::{
    AccessClaims, Algorithm, KeySet, RevocationList, RevocationQuery, RevocationView, SigningKey,
    TokenIssuer, TokenRequest, Verifier,
};
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use criterion::{Criterion, criterion_group, criterion_main};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

const ISS: &str = "https://id.example";
const AUD: &str = "api";
/// Revoked tokens, sessions and users each held by the list.
const REVOKED: usize = 1_000;
const LEEWAY: u64 = 30;

/// Counts heap allocations, to show what one verification allocates.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

struct Fixture {
    issuer: TokenIssuer,
    token: String,
    ours: Verifier,
    cold: Verifier,
    theirs: jsonwebtoken::DecodingKey,
    validation: jsonwebtoken::Validation,
}

/// The `jsonwebtoken` key for the public half of `key`, in the form its
/// aws-lc backend verifies with (raw Ed25519 key, uncompressed P-256 point,
/// PKCS#1 RSA public key, HMAC secret).
fn decoding_key(key: &SigningKey) -> jsonwebtoken::DecodingKey {
    let der = key.secret_bytes();
    match key.algorithm() {
        Algorithm::EdDSA => {
            let kp = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).unwrap();
            jsonwebtoken::DecodingKey::from_ed_der(kp.public_key().as_ref())
        }
        Algorithm::ES256 => {
            let kp = EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, der).unwrap();
            jsonwebtoken::DecodingKey::from_ec_der(kp.public_key().as_ref())
        }
        Algorithm::RS256 => {
            let kp = RsaKeyPair::from_pkcs8(der).unwrap();
            jsonwebtoken::DecodingKey::from_rsa_der(kp.public_key().as_ref())
        }
        Algorithm::HS256 => jsonwebtoken::DecodingKey::from_secret(der),
    }
}

fn fixture(alg: Algorithm) -> Fixture {
    let issuer = TokenIssuer::new(KeySet::generate(alg).unwrap(), ISS, AUD)
        .access_ttl(Duration::from_secs(3 * 3600));
    let request = TokenRequest::new("user-1")
        .roles(["admin", "editor"])
        .scopes(["read", "write"])
        .amr(["pwd", "otp", "mfa"])
        .client_id("web");
    let issued = issuer.issue(&request).unwrap();

    // A list of realistic size, with the token's own user among the entries
    // (cut off before the token was issued), so every lookup runs.
    let list = issuer.revocations();
    let until = issued.expires_at + 3600;
    for i in 0..REVOKED {
        list.revoke_jti(&format!("revoked-jti-{i:04}-xxxxxxxxxx"), until);
        list.revoke_session(&format!("revoked-sid-{i:04}-xxxxxxxxxx"), until);
        list.revoke_user_before(&format!("user-{i}"), issued.expires_at - 4 * 3600, until);
    }
    assert_eq!(list.len(), 3 * REVOKED);
    let ours = issuer.verifier();
    let cold = issuer.verifier().without_cache();

    let mut validation =
        jsonwebtoken::Validation::new(alg.to_string().parse::<jsonwebtoken::Algorithm>().unwrap());
    validation.set_issuer(&[ISS]);
    validation.set_audience(&[AUD]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY;
    let theirs = decoding_key(&issuer.keys().signing_key().unwrap());

    // Both accept the token and read the same claims.
    let mine = Arc::unwrap_or_clone(cold.verify(&issued.access_token).unwrap());
    let bare = jsonwebtoken::decode::<AccessClaims>(&issued.access_token, &theirs, &validation)
        .unwrap()
        .claims;
    assert_eq!(mine, bare, "{alg}");

    Fixture {
        issuer,
        token: issued.access_token,
        ours,
        cold,
        theirs,
        validation,
    }
}

/// The signature check alone, with the same key (parsed once) and bytes: the floor.
fn raw_signature(f: &Fixture) -> impl Fn() -> bool {
    use aws_lc_rs::{hmac, signature::ParsedPublicKey};
    let key = f.issuer.keys().signing_key().unwrap();
    let (signing_input, signature) = f.token.rsplit_once('.').unwrap();
    let signing_input = signing_input.as_bytes().to_vec();
    let signature = base64_decode(signature);
    let der = key.secret_bytes().to_vec();
    let check: Box<dyn Fn() -> bool> = match key.algorithm() {
        Algorithm::HS256 => {
            let key = hmac::Key::new(hmac::HMAC_SHA256, &der);
            Box::new(move || hmac::verify(&key, black_box(&signing_input), &signature).is_ok())
        }
        alg => {
            let (public, algorithm): (Vec<u8>, &'static dyn sig::VerificationAlgorithm) = match alg
            {
                Algorithm::EdDSA => (
                    Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
                        .unwrap()
                        .public_key()
                        .as_ref()
                        .to_vec(),
                    &sig::ED25519,
                ),
                Algorithm::ES256 => (
                    EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &der)
                        .unwrap()
                        .public_key()
                        .as_ref()
                        .to_vec(),
                    &sig::ECDSA_P256_SHA256_FIXED,
                ),
                _ => (
                    RsaKeyPair::from_pkcs8(&der)
                        .unwrap()
                        .public_key()
                        .as_ref()
                        .to_vec(),
                    &sig::RSA_PKCS1_2048_8192_SHA256,
                ),
            };
            // Parsed once, as the verifier's own keys are.
            let key = ParsedPublicKey::new(algorithm, public).unwrap();
            Box::new(move || {
                key.verify_sig(black_box(&signing_input), &signature)
                    .is_ok()
            })
        }
    };
    assert!(check());
    check
}

fn base64_decode(segment: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment)
        .unwrap()
}

/// The heap allocations of one call of `f`, after one call to warm it.
fn allocations(f: impl Fn()) -> usize {
    f();
    let region = Region::new(GLOBAL);
    f();
    region.change().allocations
}

/// Prints what one verification allocates: cold (without a cache, and with
/// one, on a miss: the entry is kept), a hit, and `jsonwebtoken`'s.
fn print_allocations(alg: Algorithm, f: &Fixture) {
    let cold = allocations(|| {
        f.cold.verify(&f.token).unwrap();
    });
    let miss = allocations(|| {
        // A verifier of its own each time, so that the token is a miss.
        let fresh = f.issuer.verifier();
        fresh.verify(&f.token).unwrap();
    });
    let hit = allocations(|| {
        f.ours.verify(&f.token).unwrap();
    });
    let theirs = allocations(|| {
        jsonwebtoken::decode::<AccessClaims>(&f.token, &f.theirs, &f.validation).unwrap();
    });
    // The miss above also counts making the verifier; count that alone.
    let making = allocations(|| {
        black_box(f.issuer.verifier());
    });
    eprintln!(
        "allocations per verification, {alg}: cold {cold}, miss with cache insert {}, hit {hit}, jsonwebtoken {theirs}",
        miss - making
    );
}

fn verify(c: &mut Criterion) {
    for alg in [
        Algorithm::HS256,
        Algorithm::EdDSA,
        Algorithm::ES256,
        Algorithm::RS256,
    ] {
        let f = fixture(alg);
        print_allocations(alg, &f);
        let raw = raw_signature(&f);
        let mut group = c.benchmark_group(format!("verify_{alg}"));
        group.bench_function("raw signature", |b| b.iter(&raw));
        group.bench_function("auth-core cold", |b| {
            b.iter(|| f.cold.verify(black_box(&f.token)).is_ok());
        });
        group.bench_function("auth-core cache hit", |b| {
            b.iter(|| f.ours.verify(black_box(&f.token)).is_ok());
        });
        group.bench_function("jsonwebtoken", |b| {
            b.iter(|| {
                jsonwebtoken::decode::<AccessClaims>(black_box(&f.token), &f.theirs, &f.validation)
                    .is_ok()
            });
        });
        group.finish();
    }
}

/// One lookup of a token nobody revoked, in an empty list and in a list of a
/// million revocations (a third each of tokens, sessions and users).
fn revocation_lookup(c: &mut Criterion) {
    const MILLION: usize = 1_000_000;
    let until = 4_000_000_000;
    let empty = RevocationList::new();
    let full = RevocationList::new();
    for i in 0..MILLION {
        match i % 3 {
            0 => full.revoke_jti(&format!("jti-{i:022}"), until),
            1 => full.revoke_session(&format!("sid-{i:022}"), until),
            _ => full.revoke_user_before(&format!("user-{i}"), 1_700_000_000, until),
        }
    }
    assert_eq!(full.len(), MILLION);
    let query = RevocationQuery {
        jti: "Qm9vZ2llLXdvb2dpZS1qdGkx",
        sid: Some("c2Vzc2lvbi0xMjM0NTY3ODkw"),
        sub: "user-4",
        iat: 1_800_000_000,
    };
    assert!(!full.is_revoked(&query) && !empty.is_revoked(&query));
    let mut group = c.benchmark_group("revocation_lookup");
    group.bench_function("none revoked", |b| {
        b.iter(|| empty.is_revoked(black_box(&query)))
    });
    group.bench_function("1M revoked", |b| {
        b.iter(|| full.is_revoked(black_box(&query)))
    });
    group.finish();
}

/// The work of one thread of [`on_threads`]: `work(thread, i)`.
type Work<'a> = &'a (dyn Fn(usize, u64) + Sync);

/// Runs `work(thread, i)` for `i` in `0..iters` on each of `threads`
/// threads at once; the time per call as the machine sees it (elapsed time
/// over all calls of all threads), so that perfect scaling halves it.
fn on_threads(iters: u64, threads: usize, work: Work<'_>) -> Duration {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..threads {
            scope.spawn(move || {
                for i in 0..iters {
                    work(thread, i);
                }
            });
        }
    });
    start.elapsed() / u32::try_from(threads).unwrap()
}

/// Cache hits on one thread and on two, each thread verifying 1,000 tokens
/// of its own in turn (spread over the shards), and two threads sharing one
/// token (one shard). Beside them, the same harness running HMAC-SHA256,
/// which shares nothing between threads: how far this machine's two cores
/// scale at best.
fn threads(c: &mut Criterion) {
    use aws_lc_rs::hmac;
    let issuer = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA).unwrap(), ISS, AUD);
    let verifier = issuer.verifier();
    let sets: Vec<Vec<String>> = (0..2)
        .map(|t| {
            (0..1_000)
                .map(|i| {
                    let token = issuer
                        .issue(&TokenRequest::new(format!("user-{t}-{i}")))
                        .unwrap()
                        .access_token;
                    verifier.verify(&token).unwrap();
                    token
                })
                .collect()
        })
        .collect();
    let own = |thread: usize, i: u64| {
        let tokens = &sets[thread];
        let token = &tokens[i as usize % tokens.len()];
        assert!(verifier.verify(black_box(token)).is_ok());
    };
    let shared = |_: usize, _: u64| {
        assert!(verifier.verify(black_box(&sets[0][0])).is_ok());
    };
    let keys = [
        hmac::Key::new(hmac::HMAC_SHA256, b"calibration key of thread 0"),
        hmac::Key::new(hmac::HMAC_SHA256, b"calibration key of thread 1"),
    ];
    let message = [7u8; 64];
    let calibration = |thread: usize, _: u64| {
        black_box(hmac::sign(&keys[thread], black_box(&message)));
    };
    let mut group = c.benchmark_group("threads");
    let cases: [(&str, usize, Work<'_>); 5] = [
        ("cache hit, 1 thread", 1, &own),
        ("cache hit, 2 threads, own tokens", 2, &own),
        ("cache hit, 2 threads, one token", 2, &shared),
        ("HMAC (calibration), 1 thread", 1, &calibration),
        ("HMAC (calibration), 2 threads", 2, &calibration),
    ];
    for (name, count, work) in cases {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| on_threads(iters, count, work))
        });
    }
    group.finish();
}

criterion_group!(benches, verify, revocation_lookup, threads);
criterion_main!(benches);
