//! Token verification, check by check: every way a token is refused names the
//! exact [`TokenRejection`], for every algorithm where the check applies.
//!
//! Forged tokens are built by hand (base64url of JSON, signed with aws-lc-rs or
//! `jsonwebtoken::encode`) so that each test changes exactly one thing about an
//! otherwise valid token; `forged_baseline_verifies` proves the forging
//! helpers make tokens the verifier accepts, so every refusal below is caused
//! by the one thing the test changed.

// Test code: a panic is how a broken fixture or a failed check reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::ErrorKind;
use std::net::TcpListener;
use std::sync::OnceLock;
use std::time::Duration;

use auth_core::{
    AccessClaims, Algorithm, Claims, KeySet, RevocationList, SigningKey, TokenIssuer,
    TokenRejection, TokenRequest, Validation, Verifier,
};
use auth_core::token::{DEFAULT_MAX_TOKEN_LEN, MAX_LEEWAY};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::PublicKeyComponents;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const ISS: &str = "https://id.example";
const AUD: &str = "api";
/// A fixed "now" for time-dependent checks (`issue_at` / `verify_at`).
const T0: i64 = 1_700_000_000;
/// The issuer's default access-token lifetime.
const TTL: i64 = 900;
/// The default leeway of [`Validation::new`].
const DEFAULT_LEEWAY: i64 = 30;

// ---------------------------------------------------------------------------
// Fixtures

/// Two keys per algorithm ("ours" and "another"), generated once per test
/// binary: RSA generation is slow in a debug build.
fn key_pairs() -> &'static [(SigningKey, SigningKey)] {
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
fn ours(alg: Algorithm) -> SigningKey {
    key_pairs()
        .iter()
        .find(|(k, _)| k.algorithm() == alg)
        .unwrap()
        .0
        .clone()
}

/// A second, unrelated key for `alg`.
fn another(alg: Algorithm) -> SigningKey {
    key_pairs()
        .iter()
        .find(|(k, _)| k.algorithm() == alg)
        .unwrap()
        .1
        .clone()
}

/// A fresh issuer (its own key set and revocation list) signing with `key`.
fn issuer_with(key: &SigningKey) -> TokenIssuer {
    TokenIssuer::new(KeySet::new(key.clone()), ISS, AUD)
}

/// Verifies `token` at `now` against a fresh verifier trusting only `key`.
fn check(key: &SigningKey, token: &str, now: i64) -> Result<AccessClaims, TokenRejection> {
    issuer_with(key).verifier().verify_at(token, now)
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs `input` with `key` through aws-lc-rs directly (not through auth-core).
fn sign_raw(key: &SigningKey, input: &[u8]) -> Vec<u8> {
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
            kp.sign(&sig::RSA_PKCS1_SHA256, &SystemRandom::new(), input, &mut out)
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
fn sign_segments(key: &SigningKey, header_seg: &str, claims_seg: &str) -> String {
    let input = format!("{header_seg}.{claims_seg}");
    let signature = sign_raw(key, input.as_bytes());
    format!("{input}.{}", b64(signature))
}

/// A token with exactly these header and claims bytes, signed by `key`.
fn forge_raw(key: &SigningKey, header: &[u8], claims: &[u8]) -> String {
    sign_segments(key, &b64(header), &b64(claims))
}

fn forge(key: &SigningKey, header: &Value, claims: &Value) -> String {
    forge_raw(key, header.to_string().as_bytes(), claims.to_string().as_bytes())
}

/// The header auth-core writes for `key`.
fn header_for(key: &SigningKey) -> Value {
    json!({ "alg": key.algorithm().as_str(), "typ": "at+jwt", "kid": key.kid() })
}

/// Valid claims issued at `t`.
fn claims_at(t: i64) -> Value {
    json!({
        "iss": ISS, "sub": "user-1", "aud": AUD,
        "exp": t + TTL, "iat": t, "nbf": t,
        "jti": "jti-1", "sid": "sid-1",
    })
}

fn with(mut value: Value, field: &str, v: Value) -> Value {
    value[field] = v;
    value
}

fn without(mut value: Value, field: &str) -> Value {
    value.as_object_mut().unwrap().remove(field);
    value
}

/// A valid token (through the issuer) at `T0`.
fn issued(key: &SigningKey) -> String {
    issuer_with(key)
        .issue_at(&TokenRequest::new("user-1"), &(), T0)
        .unwrap()
        .access_token
}

fn segments(token: &str) -> (&str, &str, &str) {
    let mut parts = token.split('.');
    let parts = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    parts
}

/// The public half of an asymmetric key in the forms an attacker would try as
/// an HMAC secret, plus its JWK.
struct PublicForms {
    /// Raw key bytes: the Ed25519 point, the uncompressed P-256 point, or the
    /// PKCS#1 `RSAPublicKey` DER.
    raw: Vec<u8>,
    /// SubjectPublicKeyInfo DER.
    spki: Vec<u8>,
    /// `-----BEGIN PUBLIC KEY-----` and friends, LF and CRLF.
    pems: Vec<String>,
    jwk: Value,
}

fn public_forms(key: &SigningKey) -> PublicForms {
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
            let jwk = json!({ "kty": "EC", "crv": "P-256", "x": b64(&raw[1..33]), "y": b64(&raw[33..]) });
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
            pems.push(pem::encode_config(&pem::Pem::new(tag, contents.clone()), config));
        }
    }
    PublicForms {
        raw,
        spki,
        pems,
        jwk,
    }
}

const ASYMMETRIC: [Algorithm; 3] = [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256];

// ---------------------------------------------------------------------------
// Baseline

#[test]
fn forged_baseline_verifies_for_every_algorithm() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let token = forge(&key, &header_for(&key), &claims_at(T0));
        let claims = check(&key, &token, T0).unwrap();
        assert_eq!(claims.sub, "user-1", "{alg}");
        assert_eq!(claims.jti, "jti-1", "{alg}");
        assert_eq!(claims.iss, ISS, "{alg}");
        assert_eq!(claims.exp, T0 + TTL, "{alg}");

        let claims = check(&key, &issued(&key), T0).unwrap();
        assert_eq!(claims.subject(), "user-1", "{alg}");
    }
}

// ---------------------------------------------------------------------------
// Algorithm

#[test]
fn alg_none_in_any_casing_is_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let claims_seg = b64(claims_at(T0).to_string());
        for none in ["none", "None", "NONE", "nOnE"] {
            let header = with(header_for(&key), "alg", json!(none));
            let header_seg = b64(header.to_string());
            let input = format!("{header_seg}.{claims_seg}");
            let real_signature = b64(sign_raw(&key, input.as_bytes()));
            for signature in ["", "AAAA", real_signature.as_str()] {
                let token = format!("{input}.{signature}");
                assert_eq!(
                    check(&key, &token, T0).err(),
                    Some(TokenRejection::UnsupportedAlgorithm),
                    "{alg} alg={none} sig={signature:.8}"
                );
            }
            // Without kid and typ too: `alg` is looked at first.
            let bare = format!("{}.{claims_seg}.", b64(json!({ "alg": none }).to_string()));
            assert_eq!(check(&key, &bare, T0).err(), Some(TokenRejection::UnsupportedAlgorithm));
        }
        for other in ["HS384", "RS512", "PS256", "ES384", "eddsa", "hs256", "Ed25519", ""] {
            let header = with(header_for(&key), "alg", json!(other));
            let token = forge(&key, &header, &claims_at(T0));
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::UnsupportedAlgorithm),
                "{alg} alg={other}"
            );
        }
    }
}

/// RFC 8725 §2.1: a token for a public key, re-signed with HS256 using that
/// public key as the HMAC secret, must not verify.
#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    let now = auth_core_now();
    let claims = claims_at(now);
    for alg in ASYMMETRIC {
        let key = ours(alg);
        let forms = public_forms(&key);
        let mut secrets: Vec<Vec<u8>> = vec![forms.raw.clone(), forms.spki.clone()];
        secrets.extend(forms.pems.iter().map(|p| p.as_bytes().to_vec()));
        secrets.push(forms.jwk.to_string().into_bytes());

        let issuer = issuer_with(&key);
        let verify_only = Verifier::new(
            KeySet::verify_only(issuer.keys().verifying_keys()).unwrap(),
            Validation::new(ISS, AUD),
        );
        for secret in &secrets {
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            header.typ = Some("at+jwt".into());
            header.kid = Some(key.kid().into());
            let encoding = jsonwebtoken::EncodingKey::from_secret(secret);
            let token = jsonwebtoken::encode(&header, &claims, &encoding).unwrap();

            // The forgery is a working HS256 token for anyone who lets the
            // header pick the algorithm...
            let mut lenient = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
            lenient.set_audience(&[AUD]);
            lenient.set_issuer(&[ISS]);
            let decoding = jsonwebtoken::DecodingKey::from_secret(secret);
            assert!(jsonwebtoken::decode::<Value>(&token, &decoding, &lenient).is_ok());

            // ...and is refused here, by the issuer's verifier and by a
            // verify-only set holding nothing but the public key.
            assert_eq!(
                issuer.verifier().verify_at(&token, now).err(),
                Some(TokenRejection::AlgorithmMismatch),
                "{alg}"
            );
            assert_eq!(
                verify_only.verify_at(&token, now).err(),
                Some(TokenRejection::AlgorithmMismatch),
                "{alg}"
            );

            // The same forgery signed by hand, without `jsonwebtoken`'s header shape.
            let header = with(header_for(&key), "alg", json!("HS256"));
            let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
            let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), input.as_bytes());
            let token = format!("{input}.{}", b64(tag));
            assert_eq!(
                issuer.verifier().verify_at(&token, now).err(),
                Some(TokenRejection::AlgorithmMismatch),
                "{alg}"
            );
        }
    }
}

/// Any other algorithm in the header than the key's, signed by a real key of
/// that other algorithm, is refused before the signature is looked at.
#[test]
fn alg_other_than_the_keys_is_refused() {
    for key_alg in Algorithm::ALL {
        let key = ours(key_alg);
        for header_alg in Algorithm::ALL.into_iter().filter(|&a| a != key_alg) {
            let signer = another(header_alg);
            let header = with(header_for(&key), "alg", json!(header_alg.as_str()));
            let token = forge(&signer, &header, &claims_at(T0));
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::AlgorithmMismatch),
                "key {key_alg}, header {header_alg}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Signature and structure

#[test]
fn stripped_or_missing_signature_is_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let token = issued(&key);
        let (h, c, s) = segments(&token);
        let cases = [
            (format!("{h}.{c}."), TokenRejection::BadSignature),
            (format!("{h}.{c}"), TokenRejection::Malformed),
            (format!("{h}.{c}.{s}."), TokenRejection::Malformed),
            (format!("{h}.{c}.{s}.{s}"), TokenRejection::Malformed),
            (format!("{h}{c}{s}"), TokenRejection::Malformed),
            (String::new(), TokenRejection::Malformed),
            (format!(".{c}.{s}"), TokenRejection::MalformedHeader),
            ("..".to_owned(), TokenRejection::MalformedHeader),
        ];
        for (token, expected) in cases {
            assert_eq!(check(&key, &token, T0).err(), Some(expected), "{alg}: {token:.12}");
        }
        // A signature longer than any key's (RSA-8192) is not even decoded.
        let huge = format!("{h}.{c}.{}", b64(vec![7u8; 1025]));
        assert_eq!(check(&key, &huge, T0).err(), Some(TokenRejection::Malformed));
    }
}

#[test]
fn signature_by_another_key_with_our_kid_is_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let impostor =
            SigningKey::from_der(alg, another(alg).secret_bytes(), Some(key.kid())).unwrap();
        assert_eq!(impostor.kid(), key.kid());
        let token = issued(&impostor);
        assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::BadSignature), "{alg}");
        // The impostor's own verifier accepts it: only the key differs.
        assert!(check(&impostor, &token, T0).is_ok());

        // The real signature of one token on the claims of another.
        let genuine = issued(&key);
        let other = issuer_with(&key)
            .issue_at(&TokenRequest::new("user-2"), &(), T0)
            .unwrap()
            .access_token;
        let (h, c, _) = segments(&other);
        let (_, _, s) = segments(&genuine);
        let spliced = format!("{h}.{c}.{s}");
        assert_eq!(check(&key, &spliced, T0).err(), Some(TokenRejection::BadSignature), "{alg}");
    }
}

#[test]
fn unknown_kid_is_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        for kid in [json!("no-such-key"), json!(""), json!(another(alg).kid())] {
            let header = with(header_for(&key), "kid", kid.clone());
            let token = forge(&key, &header, &claims_at(T0));
            assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::UnknownKey), "{alg} {kid}");
        }
        // A token from another issuer's key names a kid we do not have.
        let token = issued(&another(alg));
        assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::UnknownKey), "{alg}");
        // `kid` of the wrong JSON type is a malformed header.
        let header = with(header_for(&key), "kid", json!(7));
        let token = forge(&key, &header, &claims_at(T0));
        assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::MalformedHeader));
    }
}

#[test]
fn missing_kid_is_refused_when_several_keys_verify() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let header = without(header_for(&key), "kid");
        let token = forge(&key, &header, &claims_at(T0));
        // One key: unambiguous.
        assert!(check(&key, &token, T0).is_ok(), "{alg}");

        // After a rotation the set holds two keys: a token without kid names none.
        let issuer = issuer_with(&key);
        issuer.keys().rotate(another(alg));
        assert_eq!(issuer.keys().verifying_keys().len(), 2);
        let verifier = issuer.verifier();
        assert_eq!(verifier.verify_at(&token, T0).err(), Some(TokenRejection::UnknownKey), "{alg}");
        let by_new_key = forge(&another(alg), &header, &claims_at(T0));
        assert_eq!(verifier.verify_at(&by_new_key, T0).err(), Some(TokenRejection::UnknownKey));
        // With its kid, the old key's token still verifies.
        let with_kid = forge(&key, &header_for(&key), &claims_at(T0));
        assert!(verifier.verify_at(&with_kid, T0).is_ok(), "{alg}");
    }
}

// ---------------------------------------------------------------------------
// Time

#[test]
fn expiry_is_enforced_with_the_leeway() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let token = issued(&key);
        let exp = T0 + TTL;
        assert!(check(&key, &token, exp - 1).is_ok(), "{alg}");
        assert!(check(&key, &token, exp + DEFAULT_LEEWAY - 1).is_ok(), "{alg}");
        for late in [exp + DEFAULT_LEEWAY, exp + DEFAULT_LEEWAY + 1, exp + 86_400, i64::MAX] {
            assert_eq!(check(&key, &token, late).err(), Some(TokenRejection::Expired), "{alg} at {late}");
        }

        // Without leeway, `exp` itself is already too late (RFC 7519 §4.1.4).
        let strict = issuer_with(&key).validation(Validation::new("x", "y").leeway(Duration::ZERO));
        assert!(strict.verifier().verify_at(&token, exp - 1).is_ok());
        assert_eq!(strict.verifier().verify_at(&token, exp).err(), Some(TokenRejection::Expired));
    }
}

#[test]
fn nbf_in_the_future_is_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let claims = with(claims_at(T0), "nbf", json!(T0 + 100));
        let token = forge(&key, &header_for(&key), &claims);
        assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::NotYetValid), "{alg}");
        assert_eq!(
            check(&key, &token, T0 + 100 - DEFAULT_LEEWAY - 1).err(),
            Some(TokenRejection::NotYetValid)
        );
        assert!(check(&key, &token, T0 + 100 - DEFAULT_LEEWAY).is_ok(), "{alg}");
        assert!(check(&key, &token, T0 + 100).is_ok(), "{alg}");
    }
}

#[test]
fn iat_in_the_future_is_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        // No nbf: iat alone decides.
        let claims = without(with(claims_at(T0), "iat", json!(T0 + 100)), "nbf");
        let token = forge(&key, &header_for(&key), &claims);
        assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::NotYetValid), "{alg}");
        assert!(check(&key, &token, T0 + 100 - DEFAULT_LEEWAY).is_ok(), "{alg}");
        // An earlier nbf does not excuse a future iat.
        let claims = with(claims_at(T0), "iat", json!(T0 + 100));
        let token = forge(&key, &header_for(&key), &claims);
        assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::NotYetValid), "{alg}");
        // An issued token verified before it was issued.
        let token = issued(&key);
        assert_eq!(
            check(&key, &token, T0 - DEFAULT_LEEWAY - 1).err(),
            Some(TokenRejection::NotYetValid)
        );
        assert!(check(&key, &token, T0 - DEFAULT_LEEWAY).is_ok());
    }
}

#[test]
fn leeway_is_bounded_to_a_minute() {
    assert_eq!(MAX_LEEWAY, Duration::from_secs(60));
    let validation = Validation::new(ISS, AUD).leeway(Duration::from_secs(3600));
    assert_eq!(validation.leeway_secs(), 60);
    let validation = Validation::new(ISS, AUD).leeway(Duration::MAX);
    assert_eq!(validation.leeway_secs(), 60);
    assert_eq!(Validation::new(ISS, AUD).leeway(Duration::from_secs(59)).leeway_secs(), 59);

    for alg in Algorithm::ALL {
        let key = ours(alg);
        let issuer = issuer_with(&key).validation(Validation::new("ignored", "ignored").leeway(Duration::from_secs(86_400)));
        assert_eq!(issuer.verifier().validation().leeway_secs(), 60);
        let verifier = issuer.verifier();
        let token = issued(&key);
        let exp = T0 + TTL;
        assert!(verifier.verify_at(&token, exp + 59).is_ok(), "{alg}");
        assert_eq!(verifier.verify_at(&token, exp + 60).err(), Some(TokenRejection::Expired));
        assert!(verifier.verify_at(&token, T0 - 60).is_ok(), "{alg}");
        assert_eq!(verifier.verify_at(&token, T0 - 61).err(), Some(TokenRejection::NotYetValid));
    }
}

// ---------------------------------------------------------------------------
// Issuer, audience, type

#[test]
fn wrong_issuer_is_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        for iss in ["https://evil.example", "HTTPS://ID.EXAMPLE", "https://id.example/", ""] {
            let token = forge(&key, &header_for(&key), &with(claims_at(T0), "iss", json!(iss)));
            assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::WrongIssuer), "{alg} {iss}");
        }
        // Same keys, another issuer name.
        let elsewhere = TokenIssuer::new(KeySet::new(key.clone()), "https://other.example", AUD);
        let token = elsewhere.issue_at(&TokenRequest::new("u"), &(), T0).unwrap().access_token;
        assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::WrongIssuer), "{alg}");
    }
}

#[test]
fn wrong_audience_is_refused_and_an_audience_list_is_searched() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        for aud in [json!("other-api"), json!("API"), json!(["other", "x"]), json!([])] {
            let token = forge(&key, &header_for(&key), &with(claims_at(T0), "aud", aud.clone()));
            assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::WrongAudience), "{alg} {aud}");
        }
        for aud in [json!([AUD]), json!(["other", AUD]), json!([AUD, "other"])] {
            let token = forge(&key, &header_for(&key), &with(claims_at(T0), "aud", aud.clone()));
            assert!(check(&key, &token, T0).is_ok(), "{alg} {aud}");
        }
        let elsewhere = TokenIssuer::new(KeySet::new(key.clone()), ISS, "other-api");
        let token = elsewhere.issue_at(&TokenRequest::new("u"), &(), T0).unwrap().access_token;
        assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::WrongAudience), "{alg}");
    }
}

#[test]
fn typ_must_name_an_access_token() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let claims = claims_at(T0);
        let missing = forge(&key, &without(header_for(&key), "typ"), &claims);
        assert_eq!(check(&key, &missing, T0).err(), Some(TokenRejection::WrongType), "{alg}");
        for typ in [json!("JWT"), json!("jwt"), json!("at+JWT+x"), json!("at-jwt"), json!(""), json!(null)] {
            let token = forge(&key, &with(header_for(&key), "typ", typ.clone()), &claims);
            assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::WrongType), "{alg} {typ}");
        }
        let token = forge(&key, &with(header_for(&key), "typ", json!(["at+jwt"])), &claims);
        assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::MalformedHeader));
        for typ in ["at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"] {
            let token = forge(&key, &with(header_for(&key), "typ", json!(typ)), &claims);
            assert!(check(&key, &token, T0).is_ok(), "{alg} {typ}");
        }
    }
}

#[test]
fn crit_header_is_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        for crit in [json!(["exp"]), json!(["b64"]), json!([]), json!(null), json!("exp")] {
            let header = with(header_for(&key), "crit", crit.clone());
            let token = forge(&key, &header, &claims_at(T0));
            assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::CriticalHeader), "{alg} {crit}");
        }
    }
}

// ---------------------------------------------------------------------------
// Key references in the header are never followed

/// Our key, plus key references in the header pointing at a local listener
/// nobody should contact: the token verifies with our key, and the listener
/// sees no connection.
#[test]
fn jku_x5u_jwk_headers_are_ignored_never_fetched() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let attacker = another(alg);
        let mut header = header_for(&key);
        header["jku"] = json!(format!("http://127.0.0.1:{port}/jwks.json"));
        header["x5u"] = json!(format!("http://127.0.0.1:{port}/cert.pem"));
        header["jwk"] = public_forms(&attacker).jwk;
        header["x5c"] = json!([STANDARD.encode(public_forms(&attacker).raw)]);

        // Signed by our key: the references are ignored and it verifies.
        let token = forge(&key, &header, &claims_at(T0));
        assert!(check(&key, &token, T0).is_ok(), "{alg}");

        // Signed by the key embedded in `jwk`, with our kid: bad signature.
        let token = forge(&attacker, &header, &claims_at(T0));
        assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::BadSignature), "{alg}");

        // With the attacker's kid: no such key here.
        let mut own_kid = header.clone();
        own_kid["kid"] = json!(attacker.kid());
        own_kid["jwk"]["kid"] = json!(attacker.kid());
        let token = forge(&attacker, &own_kid, &claims_at(T0));
        assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::UnknownKey), "{alg}");

        // Without kid (the classic embedded-jwk attack): our only key is used.
        let token = forge(&attacker, &without(header, "kid"), &claims_at(T0));
        assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::BadSignature), "{alg}");
    }
    listener.set_nonblocking(true).unwrap();
    assert_eq!(listener.accept().map(|_| ()).unwrap_err().kind(), ErrorKind::WouldBlock);
}

// ---------------------------------------------------------------------------
// Size

/// A token issued at `T0` whose `scope` is `n` characters long.
fn padded(issuer: &TokenIssuer, n: usize) -> String {
    let request = TokenRequest::new("user-1").scopes(["s".repeat(n)]);
    issuer.issue_at(&request, &(), T0).unwrap().access_token
}

#[test]
fn oversized_tokens_are_refused_before_decoding() {
    assert_eq!(DEFAULT_MAX_TOKEN_LEN, 8 * 1024);
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let issuer = issuer_with(&key);
        let verifier = issuer.verifier();

        // The longest valid token within the default bound verifies; one a
        // few bytes longer, equally valid, does not.
        let base = padded(&issuer, 0).len();
        let mut n = (DEFAULT_MAX_TOKEN_LEN - base) * 3 / 4 - 8;
        let mut fits = padded(&issuer, n);
        assert!(fits.len() <= DEFAULT_MAX_TOKEN_LEN);
        let too_long = loop {
            let next = padded(&issuer, n + 1);
            if next.len() > DEFAULT_MAX_TOKEN_LEN {
                break next;
            }
            n += 1;
            fits = next;
        };
        assert!(verifier.verify_at(&fits, T0).is_ok(), "{alg}: {} bytes", fits.len());
        assert_eq!(verifier.verify_at(&too_long, T0).err(), Some(TokenRejection::Oversized), "{alg}");

        // Garbage of any size past the bound is refused on its length alone.
        let garbage = "A".repeat(1 << 20);
        assert_eq!(verifier.verify_at(&garbage, T0).err(), Some(TokenRejection::Oversized));

        // A custom bound, to the byte.
        let token = issued(&key);
        let exact = issuer_with(&key).validation(Validation::new(ISS, AUD).max_token_len(token.len()));
        assert!(exact.verifier().verify_at(&token, T0).is_ok(), "{alg}");
        let short = issuer_with(&key).validation(Validation::new(ISS, AUD).max_token_len(token.len() - 1));
        assert_eq!(short.verifier().verify_at(&token, T0).err(), Some(TokenRejection::Oversized));
    }
}

// ---------------------------------------------------------------------------
// Encoding

/// A lenient decoder that accepts non-canonical trailing bits, to show that a
/// mutated segment still means the same bytes.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The same bytes in a non-canonical encoding: trailing bits set in the last
/// character. `segment.len() % 4` must not be 0.
fn non_canonical(segment: &str) -> String {
    assert_ne!(segment.len() % 4, 0);
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (head, last) = segment.split_at(segment.len() - 1);
    let index = ALPHABET.iter().position(|&c| c == last.as_bytes()[0]).unwrap();
    let out = format!("{head}{}", ALPHABET[index + 1] as char);
    assert_eq!(LENIENT.decode(&out).unwrap(), URL_SAFE_NO_PAD.decode(segment).unwrap());
    out
}

/// Pads `json` with trailing spaces so its base64url has leftover bits.
fn with_leftover_bits(json: &Value) -> String {
    let mut text = json.to_string();
    while text.len() % 3 != 1 {
        text.push(' ');
    }
    text
}

#[test]
fn malformed_base64_is_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let header_seg = b64(with_leftover_bits(&header_for(&key)));
        let claims_seg = b64(with_leftover_bits(&claims_at(T0)));
        // The padded JSON is fine as such.
        assert!(check(&key, &sign_segments(&key, &header_seg, &claims_seg), T0).is_ok());

        let bad_headers = [
            non_canonical(&header_seg),
            format!("{header_seg}=="),
            format!("!{}", &header_seg[1..]),
            format!("+{}", &header_seg[1..]),
            format!("/{}", &header_seg[1..]),
            format!(" {header_seg}"),
            format!("{}é", &header_seg[..header_seg.len() - 2]),
            STANDARD.encode(with_leftover_bits(&header_for(&key))),
            format!("{header_seg}A"),
        ];
        for h in &bad_headers {
            let token = sign_segments(&key, h, &claims_seg);
            assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::MalformedHeader), "{alg}: {h}");
        }

        // Claims in a bad encoding, under a genuine signature.
        let bad_claims = [
            non_canonical(&claims_seg),
            format!("{claims_seg}=="),
            format!("!{}", &claims_seg[1..]),
            format!("{}+", &claims_seg[..claims_seg.len() - 1]),
            format!("{claims_seg}A"),
        ];
        for c in &bad_claims {
            let token = sign_segments(&key, &header_seg, c);
            assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::MalformedClaims), "{alg}: {c:.16}");
        }

        // The signature in a bad encoding: the same bytes, written otherwise.
        let token = sign_segments(&key, &header_seg, &claims_seg);
        let (h, c, s) = segments(&token);
        let raw = URL_SAFE_NO_PAD.decode(s).unwrap();
        let bad_signatures = [
            non_canonical(s),
            format!("{s}="),
            format!("{s}=="),
            STANDARD.encode(&raw),
            format!("+{}", &s[1..]),
            format!("{}\n", s),
        ];
        for bad in &bad_signatures {
            let token = format!("{h}.{c}.{bad}");
            assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::Malformed), "{alg}: {bad}");
        }
    }
}

#[test]
fn malformed_json_header_is_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let a = alg.as_str();
        let kid = key.kid();
        let headers: Vec<Vec<u8>> = vec![
            format!(r#"{{"alg":"{a}","typ":"at+jwt","kid":"{kid}""#).into_bytes(),
            format!(r#"["{a}","at+jwt","{kid}"]"#).into_bytes(),
            format!(r#"["{a}","at+jwt","{kid}",null]"#).into_bytes(),
            format!(r#""{a}""#).into_bytes(),
            b"null".to_vec(),
            b"42".to_vec(),
            b"{}".to_vec(),
            b"".to_vec(),
            format!(r#"{{"typ":"at+jwt","kid":"{kid}"}}"#).into_bytes(),
            format!(r#"{{"alg":null,"typ":"at+jwt","kid":"{kid}"}}"#).into_bytes(),
            format!(r#"{{"alg":["{a}"],"typ":"at+jwt","kid":"{kid}"}}"#).into_bytes(),
            format!(r#"{{"alg":"none","alg":"{a}","typ":"at+jwt","kid":"{kid}"}}"#).into_bytes(),
            format!(r#"{{"alg":"{a}","typ":"at+jwt","kid":"{kid}"}} {{}}"#).into_bytes(),
            [b"{\"alg\":\"".as_slice(), &[0xff, 0xfe], b"\"}"].concat(),
        ];
        for header in &headers {
            let token = forge_raw(&key, header, claims_at(T0).to_string().as_bytes());
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::MalformedHeader),
                "{alg}: {}",
                String::from_utf8_lossy(header)
            );
        }
    }
}

#[test]
fn malformed_json_claims_are_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let header = header_for(&key).to_string();
        let valid = claims_at(T0);
        let exp = T0 + TTL;
        let claims: Vec<Vec<u8>> = vec![
            valid.to_string().trim_end_matches('}').as_bytes().to_vec(),
            // The registered claims in field order, as an array.
            format!(r#"["{ISS}","user-1","{AUD}",{exp},{T0},{T0},"jti-1","sid-1"]"#).into_bytes(),
            br#""user-1""#.to_vec(),
            b"null".to_vec(),
            b"[]".to_vec(),
            b"".to_vec(),
            format!(r#"{{"sub":"admin",{}"#, &valid.to_string()[1..]).into_bytes(),
            format!("{valid} {valid}").into_bytes(),
            [b"{\"sub\":\"".as_slice(), &[0xc3, 0x28], b"\"}"].concat(),
        ];
        for body in &claims {
            let token = forge_raw(&key, header.as_bytes(), body);
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::MalformedClaims),
                "{alg}: {}",
                String::from_utf8_lossy(body)
            );
        }
    }
}

#[test]
fn required_claims_must_be_present() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        for field in ["exp", "sub", "jti", "iss", "aud", "iat"] {
            let token = forge(&key, &header_for(&key), &without(claims_at(T0), field));
            assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::MalformedClaims), "{alg} without {field}");
            let token = forge(&key, &header_for(&key), &with(claims_at(T0), field, json!(null)));
            assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::MalformedClaims), "{alg} {field}: null");
        }
        // `nbf` and `sid` are optional.
        for field in ["nbf", "sid"] {
            let token = forge(&key, &header_for(&key), &without(claims_at(T0), field));
            assert!(check(&key, &token, T0).is_ok(), "{alg} without {field}");
        }
    }
}

#[test]
fn numeric_dates_must_be_numbers_in_range() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let header = header_for(&key).to_string();
        let valid = claims_at(T0).to_string();
        let exp = (T0 + TTL).to_string();
        let refused = [
            format!("\"{exp}\""),
            "true".to_owned(),
            "{}".to_owned(),
            "[1]".to_owned(),
            "1e400".to_owned(),
            "-1e400".to_owned(),
            "1e300".to_owned(),
            "18446744073709551616".to_owned(),
            "9223372036854775808".to_owned(),
            "99999999999999999999999999999999".to_owned(),
            "9.1e15".to_owned(),
        ];
        for value in &refused {
            let body = valid.replace(&format!("\"exp\":{exp}"), &format!("\"exp\":{value}"));
            assert_ne!(body, valid);
            let token = forge_raw(&key, header.as_bytes(), body.as_bytes());
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::MalformedClaims),
                "{alg} exp={value}"
            );
            let body = valid.replace(&format!("\"iat\":{T0}"), &format!("\"iat\":{value}"));
            let token = forge_raw(&key, header.as_bytes(), body.as_bytes());
            assert_eq!(check(&key, &token, T0).err(), Some(TokenRejection::MalformedClaims), "{alg} iat={value}");
        }

        // Extreme but representable values do not overflow.
        let far = forge(&key, &header_for(&key), &with(claims_at(T0), "exp", json!(i64::MAX)));
        assert_eq!(check(&key, &far, T0).unwrap().exp, i64::MAX);
        let past = forge(&key, &header_for(&key), &with(claims_at(T0), "exp", json!(i64::MIN)));
        assert_eq!(check(&key, &past, T0).err(), Some(TokenRejection::Expired));
        let never = with(with(claims_at(T0), "exp", json!(i64::MAX)), "nbf", json!(i64::MAX));
        let never = forge(&key, &header_for(&key), &never);
        assert_eq!(check(&key, &never, T0).err(), Some(TokenRejection::NotYetValid));
    }
}

#[test]
fn fractional_numeric_dates_are_accepted_and_truncated() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let claims = json!({
            "iss": ISS, "sub": "user-1", "aud": AUD,
            "exp": (T0 + TTL) as f64 + 0.75, "iat": T0 as f64 + 0.5, "nbf": T0 as f64 + 0.25,
            "jti": "jti-1", "auth_time": T0 as f64 - 0.5,
        });
        let token = forge(&key, &header_for(&key), &claims);
        let verified = check(&key, &token, T0).unwrap();
        assert_eq!(verified.exp, T0 + TTL, "{alg}");
        assert_eq!(verified.iat, T0);
        assert_eq!(verified.nbf, Some(T0));
        // Truncation is toward zero, as for any NumericDate.
        assert_eq!(verified.auth_time, Some(T0 - 1));
        assert_eq!(
            check(&key, &token, T0 + TTL + DEFAULT_LEEWAY).err(),
            Some(TokenRejection::Expired)
        );
    }
}

// ---------------------------------------------------------------------------
// Revocation

fn auth_core_now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

#[test]
fn revoked_jti_session_and_user_are_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let issuer = issuer_with(&key);
        // A verifier made before any revocation sees later ones.
        let verifier = issuer.verifier();
        let a1 = issuer.issue(&TokenRequest::new("alice").session("s-a")).unwrap();
        let a2 = issuer.issue(&TokenRequest::new("alice").session("s-a")).unwrap();
        let a3 = issuer.issue(&TokenRequest::new("alice").session("s-b")).unwrap();
        let b1 = issuer.issue(&TokenRequest::new("bob").session("s-c")).unwrap();
        for t in [&a1, &a2, &a3, &b1] {
            assert!(verifier.verify(&t.access_token).is_ok(), "{alg}");
        }

        issuer.revocations().revoke_jti(&a1.jti, a1.expires_at);
        assert_eq!(verifier.verify(&a1.access_token).err(), Some(TokenRejection::Revoked), "{alg}");
        assert!(verifier.verify(&a2.access_token).is_ok(), "same session, other jti");

        issuer.revocations().revoke_session("s-a", a2.expires_at);
        assert_eq!(verifier.verify(&a2.access_token).err(), Some(TokenRejection::Revoked));
        assert!(verifier.verify(&a3.access_token).is_ok(), "other session");

        let iat = verifier.verify(&a3.access_token).unwrap().iat;
        issuer.revocations().revoke_user_before("alice", iat, a3.expires_at);
        assert_eq!(verifier.verify(&a3.access_token).err(), Some(TokenRejection::Revoked));
        assert!(verifier.verify(&b1.access_token).is_ok(), "other user");
        // Tokens issued after the cut-off are good again.
        let later = issuer
            .issue_at(&TokenRequest::new("alice"), &(), iat + 1)
            .unwrap()
            .access_token;
        assert!(verifier.verify(&later).is_ok(), "{alg}");

        // A verifier without the list would have accepted them: revocation is the reason.
        let unrevoked = Verifier::new(issuer.keys().clone(), Validation::new(ISS, AUD));
        for t in [&a1, &a2, &a3] {
            assert!(unrevoked.verify(&t.access_token).is_ok());
        }
        // And a list of our own, attached to a plain verifier, is consulted too.
        let list = RevocationList::new();
        let listed = unrevoked.clone().with_revocations(list.clone());
        assert!(listed.verify(&b1.access_token).is_ok());
        list.revoke_jti(&b1.jti, b1.expires_at);
        assert_eq!(listed.verify(&b1.access_token).err(), Some(TokenRejection::Revoked));
    }
}

// ---------------------------------------------------------------------------
// Application claims

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TenantClaims {
    tenant: String,
    groups: Vec<String>,
    #[serde(default)]
    level: Option<u8>,
}

impl Claims for TenantClaims {
    fn roles(&self) -> Option<&[String]> {
        Some(&self.groups)
    }
}

#[test]
fn custom_claims_round_trip() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let issuer = issuer_with(&key);
        let mine = TenantClaims {
            tenant: "acme".into(),
            groups: vec!["editor".into()],
            level: Some(3),
        };
        let request = TokenRequest::new("user-1").roles(["viewer"]).scopes(["read", "write"]);
        let token = issuer.issue_with(&request, &mine).unwrap();
        let verifier = issuer.verifier().with_claims::<TenantClaims>();
        let claims = verifier.verify(&token.access_token).unwrap();
        assert_eq!(claims.extra, mine, "{alg}");
        assert_eq!(claims.roles, ["viewer"]);
        assert_eq!(claims.roles(), ["editor"], "the application's roles field wins");
        assert!(claims.has_role("editor") && !claims.has_role("viewer"));
        assert!(claims.has_scope("write"));

        // The plain verifier accepts the same token and ignores the extras.
        assert!(issuer.verifier().verify(&token.access_token).is_ok());

        // A token without the application's claims does not fit its type.
        let plain = issuer.issue(&request).unwrap();
        assert_eq!(
            verifier.verify(&plain.access_token).err(),
            Some(TokenRejection::MalformedClaims),
            "{alg}"
        );
        // Nor does one whose claims have the wrong shape, under a genuine signature.
        let wrong = with(with(claims_at(T0), "tenant", json!(5)), "groups", json!([]));
        let forged = forge(&key, &header_for(&key), &wrong);
        assert_eq!(verifier.verify_at(&forged, T0).err(), Some(TokenRejection::MalformedClaims));

        // The typed verifier keeps the revocation list.
        issuer.revocations().revoke_jti(&token.jti, token.expires_at);
        assert_eq!(verifier.verify(&token.access_token).err(), Some(TokenRejection::Revoked), "{alg}");
    }
}
