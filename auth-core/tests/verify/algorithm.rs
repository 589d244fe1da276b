//! Algorithm, signature and key selection: `alg` is bound to the key, never
//! chosen by the token.

use super::support::*;

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
            assert_eq!(
                check(&key, &bare, T0).err(),
                Some(TokenRejection::UnsupportedAlgorithm)
            );
        }
        for other in [
            "HS384", "RS512", "PS256", "ES384", "eddsa", "hs256", "Ed25519", "",
        ] {
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
    let now = wall_clock();
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
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(expected),
                "{alg}: {token:.12}"
            );
        }
        // A signature longer than any key's (RSA-8192) is not even decoded.
        let huge = format!("{h}.{c}.{}", b64(vec![7u8; 1025]));
        assert_eq!(
            check(&key, &huge, T0).err(),
            Some(TokenRejection::Malformed)
        );
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
        assert_eq!(
            check(&key, &token, T0).err(),
            Some(TokenRejection::BadSignature),
            "{alg}"
        );
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
        assert_eq!(
            check(&key, &spliced, T0).err(),
            Some(TokenRejection::BadSignature),
            "{alg}"
        );
    }
}

#[test]
fn unknown_kid_is_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        for kid in [json!("no-such-key"), json!(""), json!(another(alg).kid())] {
            let header = with(header_for(&key), "kid", kid.clone());
            let token = forge(&key, &header, &claims_at(T0));
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::UnknownKey),
                "{alg} {kid}"
            );
        }
        // A token from another issuer's key names a kid we do not have.
        let token = issued(&another(alg));
        assert_eq!(
            check(&key, &token, T0).err(),
            Some(TokenRejection::UnknownKey),
            "{alg}"
        );
        // `kid` of the wrong JSON type is a malformed header.
        let header = with(header_for(&key), "kid", json!(7));
        let token = forge(&key, &header, &claims_at(T0));
        assert_eq!(
            check(&key, &token, T0).err(),
            Some(TokenRejection::MalformedHeader)
        );
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
        assert_eq!(
            verifier.verify_at(&token, T0).err(),
            Some(TokenRejection::UnknownKey),
            "{alg}"
        );
        let by_new_key = forge(&another(alg), &header, &claims_at(T0));
        assert_eq!(
            verifier.verify_at(&by_new_key, T0).err(),
            Some(TokenRejection::UnknownKey)
        );
        // With its kid, the old key's token still verifies.
        let with_kid = forge(&key, &header_for(&key), &claims_at(T0));
        assert!(verifier.verify_at(&with_kid, T0).is_ok(), "{alg}");
    }
}

/// In a set mixing algorithms, a token without `kid` is matched to the one
/// key of its `alg`, and the key's own algorithm still decides: HS256 keyed
/// with a public key never verifies, with or without an HS256 key in the set.
#[test]
fn missing_kid_in_a_mixed_set_never_confuses_algorithms() {
    let now = wall_clock();
    for alg in ASYMMETRIC {
        let key = ours(alg);
        let hmac_key = ours(Algorithm::HS256);
        let issuer = issuer_with(&key);
        let verifier = issuer.verifier();
        let claims = claims_at(now);

        // The public key as an HMAC secret, no kid, while no HS256 key exists.
        let header = json!({ "alg": "HS256", "typ": "at+jwt" });
        let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
        for secret in [public_forms(&key).raw, public_forms(&key).spki] {
            let tag = hmac::sign(
                &hmac::Key::new(hmac::HMAC_SHA256, &secret),
                input.as_bytes(),
            );
            let token = format!("{input}.{}", b64(tag));
            assert_eq!(
                verifier.verify_at(&token, now).err(),
                Some(TokenRejection::UnknownKey),
                "{alg}"
            );
        }

        // Once an HS256 key is in the set, the forgery meets that key's secret.
        issuer
            .keys()
            .add_verifying_key(hmac_key.verifying_key().clone())
            .unwrap();
        for secret in [public_forms(&key).raw, public_forms(&key).spki] {
            let tag = hmac::sign(
                &hmac::Key::new(hmac::HMAC_SHA256, &secret),
                input.as_bytes(),
            );
            let token = format!("{input}.{}", b64(tag));
            assert_eq!(
                verifier.verify_at(&token, now).err(),
                Some(TokenRejection::BadSignature),
                "{alg}"
            );
        }
        // Genuine kid-less tokens of either algorithm find their key.
        for signer in [&key, &hmac_key] {
            let header = without(header_for(signer), "kid");
            let token = forge(signer, &header, &claims);
            assert!(
                verifier.verify_at(&token, now).is_ok(),
                "{alg} / {}",
                signer.algorithm()
            );
        }
    }
}
