//! Property tests for token verification: random input and every small change
//! to a valid token are refused, for every algorithm, and never panic.
//!
//! Each case runs against all four algorithms, so the case counts below are
//! per algorithm. They keep the file well under a minute in a debug build,
//! where RS256 verification is the slow part.

// Test code: a panic is how a broken fixture or a failed check reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::OnceLock;

use auth_core::{Algorithm, KeySet, SigningKey, TokenIssuer, TokenRequest, Verifier};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use proptest::prelude::*;
use proptest::sample::Index;

const T0: i64 = 1_700_000_000;

struct Fixture {
    alg: Algorithm,
    verifier: Verifier,
    token: String,
}

/// One issuer per algorithm and a valid token from each, made once.
fn fixtures() -> &'static [Fixture] {
    static FIXTURES: OnceLock<Vec<Fixture>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        Algorithm::ALL
            .iter()
            .map(|&alg| {
                let keys = KeySet::new(SigningKey::generate(alg).unwrap());
                let issuer = TokenIssuer::new(keys, "https://id.example", "api");
                let request = TokenRequest::new("user-1")
                    .roles(["admin"])
                    .scopes(["read", "write"])
                    .amr(["pwd", "otp"]);
                let token = issuer.issue_at(&request, &(), T0).unwrap().access_token;
                let verifier = issuer.verifier();
                assert!(verifier.verify_at(&token, T0).is_ok(), "{alg} fixture");
                Fixture {
                    alg,
                    verifier,
                    token,
                }
            })
            .collect()
    })
}

/// `candidate` must verify only when it is the fixture's own token.
fn assert_refused_unless_identical(f: &Fixture, candidate: &str) -> Result<(), TestCaseError> {
    let verdict = f.verifier.verify_at(candidate, T0);
    if candidate == f.token {
        prop_assert!(
            verdict.is_ok(),
            "{}: the untouched token was refused",
            f.alg
        );
    } else {
        prop_assert!(
            verdict.is_err(),
            "{}: a changed token verified: {candidate}",
            f.alg
        );
    }
    Ok(())
}

/// `candidate` verifies under no algorithm's verifier.
fn assert_refused_everywhere(candidate: &str) -> Result<(), TestCaseError> {
    for f in fixtures() {
        prop_assert!(
            f.verifier.verify_at(candidate, T0).is_err(),
            "{}: {candidate:?}",
            f.alg
        );
    }
    Ok(())
}

fn segments(token: &str) -> [&str; 3] {
    let mut parts = token.split('.');
    [
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    ]
}

/// Characters a mutation writes: the base64url alphabet, the separators and
/// the characters of neighbouring encodings, and a few that are neither.
fn replacement() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => proptest::char::ranges(vec!['A'..='Z', 'a'..='z', '0'..='9'].into()),
        1 => prop::sample::select(vec!['-', '_', '.', '=', '+', '/', ' ', '\0', '\n', '%', 'é', '\u{FEFF}']),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn random_bytes_never_verify(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        assert_refused_everywhere(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn random_strings_never_verify(text in any::<String>()) {
        assert_refused_everywhere(&text)?;
    }

    #[test]
    fn random_base64url_segments_never_verify(
        segments in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..5),
    ) {
        let token: Vec<String> = segments.iter().map(|s| URL_SAFE_NO_PAD.encode(s)).collect();
        assert_refused_everywhere(&token.join("."))?;
    }

    /// A genuine header, so these reach the signature check.
    #[test]
    fn random_claims_and_signature_under_a_real_header_never_verify(
        claims in prop::collection::vec(any::<u8>(), 0..400),
        signature in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        for f in fixtures() {
            let [header, _, _] = segments(&f.token);
            let token = format!(
                "{header}.{}.{}",
                URL_SAFE_NO_PAD.encode(&claims),
                URL_SAFE_NO_PAD.encode(&signature)
            );
            prop_assert!(f.verifier.verify_at(&token, T0).is_err(), "{}", f.alg);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_replaced_character_never_verifies(at in any::<Index>(), with in replacement()) {
        for f in fixtures() {
            let i = at.index(f.token.len());
            let mut mutated = String::with_capacity(f.token.len() + 2);
            mutated.push_str(&f.token[..i]);
            mutated.push(with);
            mutated.push_str(&f.token[i + 1..]);
            assert_refused_unless_identical(f, &mutated)?;
        }
    }

    #[test]
    fn an_inserted_or_deleted_character_never_verifies(
        at in any::<Index>(),
        with in replacement(),
        insert in any::<bool>(),
    ) {
        for f in fixtures() {
            let mut mutated = f.token.clone();
            if insert {
                mutated.insert(at.index(f.token.len() + 1), with);
            } else {
                mutated.remove(at.index(f.token.len()));
            }
            assert_refused_unless_identical(f, &mutated)?;
        }
    }

    #[test]
    fn a_truncated_token_never_verifies(at in any::<Index>(), from_the_front in any::<bool>()) {
        for f in fixtures() {
            let i = at.index(f.token.len());
            let cut = if from_the_front { &f.token[i + 1..] } else { &f.token[..i] };
            assert_refused_unless_identical(f, cut)?;
        }
    }

    /// Any arrangement of the token's segments (swapped, repeated) but the original.
    #[test]
    fn rearranged_segments_never_verify(order in [0usize..3, 0usize..3, 0usize..3]) {
        for f in fixtures() {
            let parts = segments(&f.token);
            let token = [parts[order[0]], parts[order[1]], parts[order[2]]].join(".");
            assert_refused_unless_identical(f, &token)?;
        }
    }

    /// The same bytes in another base64 flavour (padding, the `+/` alphabet).
    #[test]
    fn a_reencoded_segment_never_verifies(segment in 0usize..3, flavour in 0usize..3) {
        for f in fixtures() {
            let mut parts = segments(&f.token).map(str::to_owned);
            let bytes = URL_SAFE_NO_PAD.decode(&parts[segment]).unwrap();
            parts[segment] = match flavour {
                0 => URL_SAFE.encode(&bytes),
                1 => STANDARD.encode(&bytes),
                _ => STANDARD_NO_PAD.encode(&bytes),
            };
            assert_refused_unless_identical(f, &parts.join("."))?;
        }
    }

    /// One bit changed inside a segment, re-encoded canonically: every such
    /// token is well-formed base64url and has to fail on its content.
    #[test]
    fn a_flipped_bit_never_verifies(segment in 0usize..3, at in any::<Index>(), bit in 0u8..8) {
        for f in fixtures() {
            let mut parts = segments(&f.token).map(str::to_owned);
            let mut bytes = URL_SAFE_NO_PAD.decode(&parts[segment]).unwrap();
            let i = at.index(bytes.len());
            bytes[i] ^= 1 << bit;
            parts[segment] = URL_SAFE_NO_PAD.encode(&bytes);
            assert_refused_unless_identical(f, &parts.join("."))?;
        }
    }
}

/// The same JSON written differently (pretty-printed, keys reordered) under
/// the original signature: the signature covers the bytes, not the meaning.
#[test]
fn reserialized_json_never_verifies() {
    for f in fixtures() {
        let [header, claims, signature] = segments(&f.token);
        for (index, segment) in [header, claims].into_iter().enumerate() {
            let original = URL_SAFE_NO_PAD.decode(segment).unwrap();
            // serde_json's map sorts keys: the issuer's order is not sorted.
            let json: serde_json::Value = serde_json::from_slice(&original).unwrap();
            for text in [
                serde_json::to_string_pretty(&json).unwrap(),
                format!(" {json}"),
                format!("{json}\n"),
                json.to_string(),
            ] {
                assert_ne!(text.as_bytes(), original.as_slice());
                let rewritten = URL_SAFE_NO_PAD.encode(&text);
                let token = if index == 0 {
                    format!("{rewritten}.{claims}.{signature}")
                } else {
                    format!("{header}.{rewritten}.{signature}")
                };
                assert!(
                    f.verifier.verify_at(&token, T0).is_err(),
                    "{}: {text}",
                    f.alg
                );
            }
        }
    }
}
