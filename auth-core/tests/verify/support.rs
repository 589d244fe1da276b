//! Fixtures and forging helpers shared by the verification tests.

use std::sync::OnceLock;

pub(crate) use auth_core::{
    AccessClaims, Algorithm, Claims, KeySet, RevocationList, SigningKey, TokenIssuer,
    TokenRejection, TokenRequest, Validation, Verifier,
};
use aws_lc_rs::encoding::AsDer;
pub(crate) use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::PublicKeyComponents;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
pub(crate) use base64::Engine as _;
pub(crate) use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
pub(crate) use serde_json::{Value, json};

pub(crate) const ISS: &str = "https://id.example";
pub(crate) const AUD: &str = "api";
/// A fixed "now" for time-dependent checks (`issue_at` / `verify_at`).
pub(crate) const T0: i64 = 1_700_000_000;
/// The issuer's default access-token lifetime.
pub(crate) const TTL: i64 = 900;
/// The default leeway of [`Validation::new`].
pub(crate) const DEFAULT_LEEWAY: i64 = 30;

/// Two keys per algorithm ("ours" and "another"), generated once per test
/// binary: RSA generation is slow in a debug build.
pub(crate) fn key_pairs() -> &'static [(SigningKey, SigningKey)] {
    static KEYS: OnceLock<Vec<(SigningKey, SigningKey)>> = OnceLock::new();
    KEYS.get_or_init(|| {
        Algorithm::ALL
            .iter()
            .map(|&alg| {
                (
                    SigningKey::generate(alg).unwrap(),
                    SigningKey::generate(alg).unwrap(),
                )
            })
            .collect()
    })
}

/// Our key for `alg`.
pub(crate) fn ours(alg: Algorithm) -> SigningKey {
    key_pairs()
        .iter()
        .find(|(k, _)| k.algorithm() == alg)
        .unwrap()
        .0
        .clone()
}

/// A second, unrelated key for `alg`.
pub(crate) fn another(alg: Algorithm) -> SigningKey {
    key_pairs()
        .iter()
        .find(|(k, _)| k.algorithm() == alg)
        .unwrap()
        .1
        .clone()
}

/// A fresh issuer (its own key set and revocation list) signing with `key`.
pub(crate) fn issuer_with(key: &SigningKey) -> TokenIssuer {
    TokenIssuer::new(KeySet::new(key.clone()), ISS, AUD)
}

/// Verifies `token` at `now` against a fresh verifier trusting only `key`.
pub(crate) fn check(
    key: &SigningKey,
    token: &str,
    now: i64,
) -> Result<AccessClaims, TokenRejection> {
    issuer_with(key)
        .verifier()
        .verify_at(token, now)
        .map(std::sync::Arc::unwrap_or_clone)
}

pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs `input` with `key` through aws-lc-rs directly (not through auth-core).
pub(crate) fn sign_raw(key: &SigningKey, input: &[u8]) -> Vec<u8> {
    let der = key.secret_bytes();
    match key.algorithm() {
        Algorithm::EdDSA => Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .unwrap()
            .sign(input)
            .as_ref()
            .to_vec(),
        Algorithm::ES256 => EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .unwrap()
            .sign(&SystemRandom::new(), input)
            .unwrap()
            .as_ref()
            .to_vec(),
        Algorithm::RS256 => {
            let kp = RsaKeyPair::from_pkcs8(der).unwrap();
            let mut out = vec![0u8; kp.public_modulus_len()];
            kp.sign(
                &sig::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input,
                &mut out,
            )
            .unwrap();
            out
        }
        Algorithm::HS256 => hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, der), input)
            .as_ref()
            .to_vec(),
    }
}

/// A token whose first two segments are exactly `header_seg` and `claims_seg`
/// (not necessarily valid base64url), signed by `key`.
pub(crate) fn sign_segments(key: &SigningKey, header_seg: &str, claims_seg: &str) -> String {
    let input = format!("{header_seg}.{claims_seg}");
    let signature = sign_raw(key, input.as_bytes());
    format!("{input}.{}", b64(signature))
}

/// A token with exactly these header and claims bytes, signed by `key`.
pub(crate) fn forge_raw(key: &SigningKey, header: &[u8], claims: &[u8]) -> String {
    sign_segments(key, &b64(header), &b64(claims))
}

pub(crate) fn forge(key: &SigningKey, header: &Value, claims: &Value) -> String {
    forge_raw(
        key,
        header.to_string().as_bytes(),
        claims.to_string().as_bytes(),
    )
}

/// The header auth-core writes for `key`.
pub(crate) fn header_for(key: &SigningKey) -> Value {
    json!({ "alg": key.algorithm().as_str(), "typ": "at+jwt", "kid": key.kid() })
}

/// Valid claims issued at `t`.
pub(crate) fn claims_at(t: i64) -> Value {
    json!({
        "iss": ISS, "sub": "user-1", "aud": AUD,
        "exp": t + TTL, "iat": t, "nbf": t,
        "jti": "jti-1", "sid": "sid-1",
    })
}

pub(crate) fn with(mut value: Value, field: &str, v: Value) -> Value {
    value[field] = v;
    value
}

pub(crate) fn without(mut value: Value, field: &str) -> Value {
    value.as_object_mut().unwrap().remove(field);
    value
}

/// A valid token (through the issuer) at `T0`.
pub(crate) fn issued(key: &SigningKey) -> String {
    issuer_with(key)
        .issue_at(&TokenRequest::new("user-1"), &(), T0)
        .unwrap()
        .access_token
}

pub(crate) fn segments(token: &str) -> (&str, &str, &str) {
    let mut parts = token.split('.');
    (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    )
}

/// The public half of an asymmetric key in the forms an attacker would try as
/// an HMAC secret, plus its JWK.
pub(crate) struct PublicForms {
    /// Raw key bytes: the Ed25519 point, the uncompressed P-256 point, or the
    /// PKCS#1 `RSAPublicKey` DER.
    pub(crate) raw: Vec<u8>,
    /// SubjectPublicKeyInfo DER.
    pub(crate) spki: Vec<u8>,
    /// `-----BEGIN PUBLIC KEY-----` and friends, LF and CRLF.
    pub(crate) pems: Vec<String>,
    pub(crate) jwk: Value,
}

pub(crate) fn public_forms(key: &SigningKey) -> PublicForms {
    let der = key.secret_bytes();
    let (raw, spki, jwk) = match key.algorithm() {
        Algorithm::EdDSA => {
            let kp = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).unwrap();
            let raw = kp.public_key().as_ref().to_vec();
            let spki = kp.public_key().as_der().unwrap().as_ref().to_vec();
            let jwk = json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(&raw) });
            (raw, spki, jwk)
        }
        Algorithm::ES256 => {
            let kp = EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, der).unwrap();
            let raw = kp.public_key().as_ref().to_vec();
            let spki = kp.public_key().as_der().unwrap().as_ref().to_vec();
            let jwk =
                json!({ "kty": "EC", "crv": "P-256", "x": b64(&raw[1..33]), "y": b64(&raw[33..]) });
            (raw, spki, jwk)
        }
        Algorithm::RS256 => {
            let kp = RsaKeyPair::from_pkcs8(der).unwrap();
            let raw = kp.public_key().as_ref().to_vec();
            let spki = kp.public_key().as_der().unwrap().as_ref().to_vec();
            let c = PublicKeyComponents::<Vec<u8>>::from(kp.public_key());
            let jwk = json!({ "kty": "RSA", "n": b64(&c.n), "e": b64(&c.e) });
            (raw, spki, jwk)
        }
        Algorithm::HS256 => {
            let jwk = json!({ "kty": "oct", "k": b64(der) });
            (der.to_vec(), Vec::new(), jwk)
        }
    };
    let mut pems = Vec::new();
    let mut tagged = vec![("PUBLIC KEY", spki.clone())];
    if key.algorithm() == Algorithm::RS256 {
        tagged.push(("RSA PUBLIC KEY", raw.clone()));
    }
    for (tag, contents) in tagged {
        for ending in [pem::LineEnding::LF, pem::LineEnding::CRLF] {
            let config = pem::EncodeConfig::new().set_line_ending(ending);
            pems.push(pem::encode_config(
                &pem::Pem::new(tag, contents.clone()),
                config,
            ));
        }
    }
    PublicForms {
        raw,
        spki,
        pems,
        jwk,
    }
}

/// Every algorithm with a public key.
pub(crate) const ASYMMETRIC: [Algorithm; 3] =
    [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256];

/// The wall clock, for checks that go through `verify` (revocation entries
/// are purged against it).
pub(crate) fn wall_clock() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}
