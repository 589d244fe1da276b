//! Keys end to end: generation, PEM files, key folders, JWK Sets and rotation,
//! each proven by signing a real access token and verifying it; and interop
//! with `jsonwebtoken`, which shows that our PEM files, JWKs and signatures are
//! the standard ones.

// Test code: a panic is how a broken fixture or a failed check reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use auth_core::keys::{Jwk, JwkSet};
use auth_core::{
    Algorithm, KeyError, KeySet, SigningKey, TokenIssuer, TokenRejection, TokenRequest, Validation,
    Verifier, VerifyingKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;

const ISSUER: &str = "https://id.example";
const AUDIENCE: &str = "api";
const ASYMMETRIC: [Algorithm; 3] = [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256];

fn issuer(keys: &KeySet) -> TokenIssuer {
    TokenIssuer::new(keys.clone(), ISSUER, AUDIENCE)
}

fn token(keys: &KeySet, subject: &str) -> String {
    issuer(keys)
        .issue(&TokenRequest::new(subject))
        .unwrap()
        .access_token
}

fn verifier(keys: &KeySet) -> Verifier {
    Verifier::new(keys.clone(), Validation::new(ISSUER, AUDIENCE))
}

/// The decoded JOSE header of a compact JWS.
fn header(token: &str) -> serde_json::Value {
    let first = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(first).unwrap()).unwrap()
}

#[test]
fn every_algorithm_signs_and_verifies() {
    for alg in Algorithm::ALL {
        let keys = KeySet::generate(alg).unwrap();
        let token = token(&keys, "user-1");
        let header = header(&token);
        assert_eq!(header["alg"], alg.as_str());
        assert_eq!(header["kid"], keys.signing_key().unwrap().kid());
        let claims = verifier(&keys).verify(&token).unwrap();
        assert_eq!(claims.subject(), "user-1");

        // Another key of the same algorithm does not verify it.
        let stranger = KeySet::generate(alg).unwrap();
        assert!(verifier(&stranger).verify(&token).is_err(), "{alg}");
    }
}

#[test]
fn pem_round_trip_keeps_the_key_and_its_kid() {
    for alg in Algorithm::ALL {
        let original = SigningKey::generate(alg).unwrap();
        let keys = KeySet::new(original.clone());
        let token = token(&keys, "user-pem");

        let loaded = SigningKey::from_pem(alg, &original.to_pem(), None).unwrap();
        assert_eq!(loaded.kid(), original.kid(), "{alg}");
        let reloaded_set = KeySet::new(loaded);
        assert_eq!(
            verifier(&reloaded_set).verify(&token).unwrap().subject(),
            "user-pem"
        );
        // And the reloaded key signs tokens the original verifies.
        assert!(
            verifier(&keys)
                .verify(&self::token(&reloaded_set, "again"))
                .is_ok(),
            "{alg}"
        );

        // A caller-chosen kid is kept as given.
        let named = SigningKey::from_pem(alg, &original.to_pem(), Some("2024-key")).unwrap();
        assert_eq!(named.kid(), "2024-key");

        match original.verifying_key().to_public_pem() {
            Some(public_pem) => {
                let public = VerifyingKey::from_public_pem(alg, &public_pem, None).unwrap();
                assert_eq!(public.kid(), original.kid());
                let verify_only = KeySet::verify_only([public]).unwrap();
                assert!(verifier(&verify_only).verify(&token).is_ok(), "{alg}");
            }
            None => assert_eq!(alg, Algorithm::HS256),
        }
    }
}

#[test]
fn hmac_pem_uses_this_crates_label() {
    let key = SigningKey::generate(Algorithm::HS256).unwrap();
    let pem = key.to_pem();
    assert!(pem.starts_with(&format!(
        "-----BEGIN {}-----\n",
        auth_core::keys::HMAC_SECRET_LABEL
    )));
    assert!(key.verifying_key().to_public_pem().is_none());
}

#[test]
fn key_folder_round_trip() {
    for alg in Algorithm::ALL {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeySet::generate(alg).unwrap();
        let token = token(&keys, "user-dir");
        keys.save_pem_dir(dir.path()).unwrap();

        let loaded = KeySet::load_pem_dir(dir.path()).unwrap();
        assert_eq!(
            loaded.signing_key().unwrap().kid(),
            keys.signing_key().unwrap().kid()
        );
        assert_eq!(
            verifier(&loaded).verify(&token).unwrap().subject(),
            "user-dir"
        );
        assert!(
            verifier(&keys)
                .verify(&self::token(&loaded, "back"))
                .is_ok(),
            "{alg}"
        );
    }
}

#[test]
fn load_or_generate_keeps_one_key_across_restarts() {
    for alg in Algorithm::ALL {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("keys"); // missing: created on the first start
        let first = KeySet::load_or_generate_dir(&dir, alg).unwrap();
        let token = token(&first, "user-restart");

        let second = KeySet::load_or_generate_dir(&dir, alg).unwrap();
        assert_eq!(
            second.signing_key().unwrap().kid(),
            first.signing_key().unwrap().kid(),
            "{alg}"
        );
        assert_eq!(
            verifier(&second).verify(&token).unwrap().subject(),
            "user-restart"
        );

        // An existing empty folder gets a key too.
        let empty = tempfile::tempdir().unwrap();
        let generated = KeySet::load_or_generate_dir(empty.path(), alg).unwrap();
        assert_eq!(generated.signing_key().unwrap().algorithm(), alg);
    }
}

#[test]
fn load_or_generate_refuses_a_folder_of_another_algorithm() {
    let dir = tempfile::tempdir().unwrap();
    KeySet::load_or_generate_dir(dir.path(), Algorithm::ES256).unwrap();
    let error = KeySet::load_or_generate_dir(dir.path(), Algorithm::EdDSA).unwrap_err();
    assert!(
        matches!(
            error,
            KeyError::FolderAlgorithm {
                expected: Algorithm::EdDSA,
                found: Algorithm::ES256
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("ES256") && message.contains("EdDSA"),
        "{message}"
    );
}

#[test]
fn jwks_export_and_import_verify_tokens() {
    let keys = KeySet::generate(Algorithm::EdDSA).unwrap();
    keys.add_verifying_key(
        SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .verifying_key()
            .clone(),
    )
    .unwrap();
    let rsa = SigningKey::generate(Algorithm::RS256).unwrap();
    keys.add_verifying_key(rsa.verifying_key().clone()).unwrap();
    let ed_token = token(&keys, "user-ed");

    let json = serde_json::to_string(&keys.jwks()).unwrap();
    let imported = KeySet::from_jwks(&serde_json::from_str::<JwkSet>(&json).unwrap()).unwrap();
    assert!(imported.signing_key().is_none());
    assert_eq!(imported.verifying_keys().len(), 3);
    assert_eq!(
        verifier(&imported).verify(&ed_token).unwrap().subject(),
        "user-ed"
    );

    // A token of the RSA key verifies with the imported set after a rotation to it.
    keys.rotate(rsa);
    let rsa_token = token(&keys, "user-rsa");
    assert_eq!(
        verifier(&imported).verify(&rsa_token).unwrap().subject(),
        "user-rsa"
    );
}

#[test]
fn jwks_shape_is_public_and_standard() {
    let keys = KeySet::generate(Algorithm::EdDSA).unwrap();
    for alg in [Algorithm::ES256, Algorithm::RS256, Algorithm::HS256] {
        keys.add_verifying_key(SigningKey::generate(alg).unwrap().verifying_key().clone())
            .unwrap();
    }
    let json = serde_json::to_value(keys.jwks()).unwrap();
    assert_eq!(json.as_object().unwrap().len(), 1, "{json}");
    let published = json["keys"].as_array().unwrap();
    assert_eq!(published.len(), 3, "HS256 is never published: {json}");
    for jwk in published {
        let members = jwk.as_object().unwrap();
        assert_eq!(jwk["use"], "sig");
        assert!(jwk["kid"].as_str().is_some_and(|kid| !kid.is_empty()));
        let expected: &[&str] = match jwk["kty"].as_str().unwrap() {
            "OKP" => {
                assert_eq!(
                    (&jwk["crv"], &jwk["alg"]),
                    (&"Ed25519".into(), &"EdDSA".into())
                );
                &["alg", "crv", "kid", "kty", "use", "x"]
            }
            "EC" => {
                assert_eq!(
                    (&jwk["crv"], &jwk["alg"]),
                    (&"P-256".into(), &"ES256".into())
                );
                &["alg", "crv", "kid", "kty", "use", "x", "y"]
            }
            "RSA" => {
                assert_eq!(jwk["alg"], "RS256");
                assert_eq!(jwk["e"], "AQAB");
                &["alg", "e", "kid", "kty", "n", "use"]
            }
            other => panic!("unexpected kty {other}"),
        };
        let mut names: Vec<&str> = members.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, expected);
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(!members.contains_key(private), "{private} in {jwk}");
        }
    }

    let hmac_only = KeySet::generate(Algorithm::HS256).unwrap();
    assert_eq!(
        serde_json::to_string(&hmac_only.jwks()).unwrap(),
        r#"{"keys":[]}"#
    );
}

#[test]
fn rotation_keeps_old_tokens_until_retired() {
    for alg in Algorithm::ALL {
        let keys = KeySet::generate(alg).unwrap();
        let verifier = verifier(&keys);
        let old_kid = keys.signing_key().unwrap().kid().to_owned();
        let old_token = token(&keys, "user-old");

        keys.rotate(SigningKey::generate(alg).unwrap());
        let new_kid = keys.signing_key().unwrap().kid().to_owned();
        assert_ne!(new_kid, old_kid);
        let new_token = token(&keys, "user-new");
        assert_eq!(header(&new_token)["kid"], new_kid.as_str());
        assert!(
            verifier.verify(&old_token).is_ok(),
            "{alg}: old token after rotate"
        );
        assert!(verifier.verify(&new_token).is_ok(), "{alg}");
        assert_eq!(
            keys.jwks().keys.len(),
            if alg.is_symmetric() { 0 } else { 2 }
        );

        keys.retire(&old_kid).unwrap();
        assert_eq!(
            verifier.verify(&old_token).unwrap_err(),
            TokenRejection::UnknownKey,
            "{alg}"
        );
        assert!(verifier.verify(&new_token).is_ok(), "{alg}");
        assert!(matches!(
            keys.retire(&new_kid),
            Err(KeyError::RetireActiveKey)
        ));
    }
}

#[test]
fn malformed_inputs_are_refused() {
    let ed = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let good = serde_json::to_value(ed.verifying_key().to_jwk().unwrap()).unwrap();
    let mut cases: Vec<serde_json::Value> = Vec::new();
    for (member, value) in [
        ("x", serde_json::json!("")),
        ("x", serde_json::json!("AAAA")),
        ("x", serde_json::json!("%%%%")),
        (
            "x",
            serde_json::json!(good["x"].as_str().unwrap().to_owned() + "="),
        ),
        ("use", serde_json::json!("enc")),
        ("alg", serde_json::json!("RS256")),
        ("alg", serde_json::json!("none")),
        ("kty", serde_json::json!("oct")),
        ("crv", serde_json::json!("P-256")),
    ] {
        let mut jwk = good.clone();
        jwk[member] = value;
        cases.push(jwk);
    }
    let mut no_kid = good.clone();
    no_kid.as_object_mut().unwrap().remove("kid");
    cases.push(no_kid);
    for case in &cases {
        let jwk: Jwk = serde_json::from_value(case.clone()).unwrap();
        assert!(VerifyingKey::from_jwk(&jwk).is_err(), "accepted {case}");
    }
    // Not even JWKs: refused by serde, before any key is built.
    for text in [
        r#"{}"#,
        r#"{"kty": 5}"#,
        r#"{"kty": "OKP", "x": 1}"#,
        r#"[]"#,
    ] {
        assert!(serde_json::from_str::<Jwk>(text).is_err(), "{text}");
    }
    for text in [r#"{}"#, r#"{"keys": "no"}"#, r#"{"keys": [{"x": "y"}]}"#] {
        assert!(serde_json::from_str::<JwkSet>(text).is_err(), "{text}");
    }

    for text in [
        "",
        "-----BEGIN PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
    ] {
        for alg in Algorithm::ALL {
            assert!(SigningKey::from_pem(alg, text, None).is_err());
            assert!(VerifyingKey::from_public_pem(alg, text, None).is_err());
        }
    }
}

fn member_value() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        "[A-Za-z0-9_-]{0,90}".prop_map(serde_json::Value::from),
        "\\PC{0,12}".prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
        Just(serde_json::json!(["verify"])),
        prop::collection::vec(any::<u8>(), 0..70).prop_map(|b| URL_SAFE_NO_PAD.encode(b).into()),
    ]
}

fn jwk_json() -> impl Strategy<Value = serde_json::Value> {
    let names = prop::sample::select(vec![
        "kty", "crv", "x", "y", "n", "e", "kid", "alg", "use", "key_ops", "d",
    ]);
    let kty = prop::sample::select(vec!["OKP", "EC", "RSA", "oct", "", "okp"]);
    let crv = prop::sample::select(vec!["Ed25519", "P-256", "X25519", "P-384", ""]);
    (
        kty,
        crv,
        prop::collection::vec((names, member_value()), 0..10),
    )
        .prop_map(|(kty, crv, members)| {
            let mut jwk = serde_json::json!({ "kty": kty, "crv": crv, "kid": "k" });
            for (name, value) in members {
                jwk[name] = value;
            }
            jwk
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random JWK JSON never panics: it either fails to parse or is judged.
    #[test]
    fn random_jwks_never_panic(jwk in jwk_json()) {
        if let Ok(parsed) = serde_json::from_value::<Jwk>(jwk.clone()) {
            if let Ok(key) = VerifyingKey::from_jwk(&parsed) {
                // Whatever was accepted is a key of the algorithm its type names.
                let alg = key.algorithm();
                prop_assert!(!alg.is_symmetric());
                prop_assert_eq!(&key.to_jwk().unwrap().kty, &parsed.kty);
            }
            let _ = KeySet::from_jwks(&JwkSet { keys: vec![parsed] });
        }
    }

    /// A real JWK with one character of a key member changed never panics,
    /// and never verifies the original key's tokens unless nothing changed.
    #[test]
    fn mutated_jwks_never_panic(
        alg_index in 0usize..3,
        member in 0usize..2,
        position in any::<prop::sample::Index>(),
        replacement in "[A-Za-z0-9_=+/.-]",
    ) {
        let (key, signed) = &fixtures()[alg_index];
        let alg = key.algorithm();
        let name = match (alg, member) {
            (Algorithm::RS256, 0) => "e",
            (Algorithm::RS256, _) => "n",
            (Algorithm::ES256, 1) => "y",
            _ => "x",
        };
        let mut jwk = serde_json::to_value(key.verifying_key().to_jwk().unwrap()).unwrap();
        let value = jwk[name].as_str().unwrap().to_owned();
        let at = position.index(value.len());
        let mut changed = value.clone();
        changed.replace_range(at..=at, &replacement);
        jwk[name] = changed.clone().into();
        let parsed: Jwk = serde_json::from_value(jwk).unwrap();
        if let Ok(imported) = VerifyingKey::from_jwk(&parsed) {
            let keys = KeySet::verify_only([imported]).unwrap();
            prop_assert_eq!(verifier(&keys).verify(signed).is_ok(), changed == value);
        } else {
            prop_assert_ne!(changed, value);
        }
    }

    /// Random text never panics the PEM readers.
    #[test]
    fn random_pem_never_panics(body in "[A-Za-z0-9+/=\\n]{0,200}", label in prop::sample::select(vec!["PRIVATE KEY", "PUBLIC KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "HMAC SECRET KEY", "X"])) {
        let text = format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n");
        for alg in Algorithm::ALL {
            let _ = SigningKey::from_pem(alg, &text, None);
            let _ = VerifyingKey::from_public_pem(alg, &text, None);
        }
    }
}

/// One key per asymmetric algorithm and a token it signed, made once:
/// RSA key generation is too slow to repeat for every generated case.
fn fixtures() -> &'static [(SigningKey, String); 3] {
    static FIXTURES: std::sync::OnceLock<[(SigningKey, String); 3]> = std::sync::OnceLock::new();
    FIXTURES.get_or_init(|| {
        ASYMMETRIC.map(|alg| {
            let key = SigningKey::generate(alg).unwrap();
            let signed = token(&KeySet::new(key.clone()), "user-mutated");
            (key, signed)
        })
    })
}

#[test]
fn jsonwebtoken_reads_our_jwks_and_verifies_our_tokens() {
    for alg in ASYMMETRIC {
        let keys = KeySet::generate(alg).unwrap();
        let kid = keys.signing_key().unwrap().kid().to_owned();
        let ours = token(&keys, "user-interop");

        let json = serde_json::to_string(&keys.jwks()).unwrap();
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&json).unwrap();
        let jwk = set.find(&kid).unwrap();
        // Our default kid is the RFC 7638 thumbprint, as jsonwebtoken computes it.
        assert_eq!(
            jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
                .unwrap(),
            kid,
            "{alg}"
        );

        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(
            alg.to_string().parse::<jsonwebtoken::Algorithm>().unwrap(),
        );
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        let decoded = jsonwebtoken::decode::<serde_json::Value>(&ours, &key, &validation).unwrap();
        assert_eq!(decoded.claims["sub"], "user-interop");
        assert_eq!(decoded.header.kid.as_deref(), Some(kid.as_str()));
    }
}

#[test]
fn jsonwebtoken_signs_with_our_pem_and_we_verify() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for alg in ASYMMETRIC {
        let key = SigningKey::generate(alg).unwrap();
        let pem = key.to_pem();
        let encoding = match alg {
            Algorithm::EdDSA => jsonwebtoken::EncodingKey::from_ed_pem(pem.as_bytes()),
            Algorithm::ES256 => jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes()),
            _ => jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()),
        }
        .unwrap();
        let mut header =
            jsonwebtoken::Header::new(alg.to_string().parse::<jsonwebtoken::Algorithm>().unwrap());
        header.typ = Some("at+jwt".into());
        header.kid = Some(key.kid().to_owned());
        let claims = serde_json::json!({
            "iss": ISSUER, "aud": AUDIENCE, "sub": "user-theirs", "jti": "j1",
            "iat": now, "exp": now + 60,
        });
        let theirs = jsonwebtoken::encode(&header, &claims, &encoding).unwrap();

        // Verified with the public key read back from our public PEM.
        let public_pem = key.verifying_key().to_public_pem().unwrap();
        let public = VerifyingKey::from_public_pem(alg, &public_pem, None).unwrap();
        let keys = KeySet::verify_only([public]).unwrap();
        assert_eq!(
            verifier(&keys).verify(&theirs).unwrap().subject(),
            "user-theirs",
            "{alg}"
        );
    }
}
