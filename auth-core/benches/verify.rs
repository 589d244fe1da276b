//! How long verifying one access token takes, per algorithm: our full
//! [`Verifier::verify`] (with a revocation list holding a realistic number of
//! entries, so the lookup is exercised) beside a bare `jsonwebtoken::decode` of
//! the same token into the same claims struct, with the same `iss`, `aud`,
//! leeway and time checks (`jsonwebtoken` does not look at `typ`).
//!
//! `cargo bench -p auth-core --bench verify -- --warm-up-time 1 --measurement-time 3`

// Fixture setup runs once, before measuring, on data made here: a failure there
// must abort the run loudly rather than measure something else.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use auth_core::{AccessClaims, Algorithm, KeySet, SigningKey, TokenIssuer, TokenRequest, Verifier};
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use criterion::{Criterion, criterion_group, criterion_main};

const ISS: &str = "https://id.example";
const AUD: &str = "api";
/// Revoked tokens, sessions and users each held by the list.
const REVOKED: usize = 1_000;
const LEEWAY: u64 = 30;

struct Fixture {
    token: String,
    ours: Verifier,
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

    let mut validation =
        jsonwebtoken::Validation::new(alg.to_string().parse::<jsonwebtoken::Algorithm>().unwrap());
    validation.set_issuer(&[ISS]);
    validation.set_audience(&[AUD]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY;
    let theirs = decoding_key(&issuer.keys().signing_key().unwrap());

    // Both accept the token and read the same claims.
    let mine: AccessClaims = ours.verify(&issued.access_token).unwrap();
    let bare = jsonwebtoken::decode::<AccessClaims>(&issued.access_token, &theirs, &validation)
        .unwrap()
        .claims;
    assert_eq!(mine, bare, "{alg}");

    Fixture {
        token: issued.access_token,
        ours,
        theirs,
        validation,
    }
}

fn verify(c: &mut Criterion) {
    for alg in [
        Algorithm::HS256,
        Algorithm::EdDSA,
        Algorithm::ES256,
        Algorithm::RS256,
    ] {
        let f = fixture(alg);
        let mut group = c.benchmark_group(format!("verify_{alg}"));
        group.bench_function("auth-core", |b| {
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

criterion_group!(benches, verify);
criterion_main!(benches);
