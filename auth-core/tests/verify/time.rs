//! Time: `exp`, `nbf`, `iat`, the bounded leeway, and NumericDate values.

use std::time::Duration;

use auth_core::token::MAX_LEEWAY;

use super::support::*;

#[test]
fn expiry_is_enforced_with_the_leeway() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let token = issued(&key);
        let exp = T0 + TTL;
        assert!(check(&key, &token, exp - 1).is_ok(), "{alg}");
        assert!(
            check(&key, &token, exp + DEFAULT_LEEWAY - 1).is_ok(),
            "{alg}"
        );
        for late in [
            exp + DEFAULT_LEEWAY,
            exp + DEFAULT_LEEWAY + 1,
            exp + 86_400,
            i64::MAX,
        ] {
            assert_eq!(
                check(&key, &token, late).err(),
                Some(TokenRejection::Expired),
                "{alg} at {late}"
            );
        }

        // Without leeway, `exp` itself is already too late (RFC 7519 §4.1.4).
        let strict = issuer_with(&key).validation(Validation::new("x", "y").leeway(Duration::ZERO));
        assert!(strict.verifier().verify_at(&token, exp - 1).is_ok());
        assert_eq!(
            strict.verifier().verify_at(&token, exp).err(),
            Some(TokenRejection::Expired)
        );
    }
}

#[test]
fn nbf_in_the_future_is_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let claims = with(claims_at(T0), "nbf", json!(T0 + 100));
        let token = forge(&key, &header_for(&key), &claims);
        assert_eq!(
            check(&key, &token, T0).err(),
            Some(TokenRejection::NotYetValid),
            "{alg}"
        );
        assert_eq!(
            check(&key, &token, T0 + 100 - DEFAULT_LEEWAY - 1).err(),
            Some(TokenRejection::NotYetValid)
        );
        assert!(
            check(&key, &token, T0 + 100 - DEFAULT_LEEWAY).is_ok(),
            "{alg}"
        );
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
        assert_eq!(
            check(&key, &token, T0).err(),
            Some(TokenRejection::NotYetValid),
            "{alg}"
        );
        assert!(
            check(&key, &token, T0 + 100 - DEFAULT_LEEWAY).is_ok(),
            "{alg}"
        );
        // An earlier nbf does not excuse a future iat.
        let claims = with(claims_at(T0), "iat", json!(T0 + 100));
        let token = forge(&key, &header_for(&key), &claims);
        assert_eq!(
            check(&key, &token, T0).err(),
            Some(TokenRejection::NotYetValid),
            "{alg}"
        );
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
    assert_eq!(
        Validation::new(ISS, AUD)
            .leeway(Duration::from_secs(59))
            .leeway_secs(),
        59
    );

    for alg in Algorithm::ALL {
        let key = ours(alg);
        let issuer = issuer_with(&key)
            .validation(Validation::new("ignored", "ignored").leeway(Duration::from_secs(86_400)));
        assert_eq!(issuer.verifier().validation().leeway_secs(), 60);
        let verifier = issuer.verifier();
        let token = issued(&key);
        let exp = T0 + TTL;
        assert!(verifier.verify_at(&token, exp + 59).is_ok(), "{alg}");
        assert_eq!(
            verifier.verify_at(&token, exp + 60).err(),
            Some(TokenRejection::Expired)
        );
        assert!(verifier.verify_at(&token, T0 - 60).is_ok(), "{alg}");
        assert_eq!(
            verifier.verify_at(&token, T0 - 61).err(),
            Some(TokenRejection::NotYetValid)
        );
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
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::MalformedClaims),
                "{alg} iat={value}"
            );
        }

        // Extreme but representable values do not overflow.
        let far = forge(
            &key,
            &header_for(&key),
            &with(claims_at(T0), "exp", json!(i64::MAX)),
        );
        // The issuer's own verifiers bound a token's lifetime to its TTL...
        assert_eq!(
            check(&key, &far, T0).err(),
            Some(TokenRejection::LifetimeTooLong)
        );
        // ...a verifier without that bound takes the far expiry, no overflow.
        let unbounded = Verifier::new(KeySet::new(key.clone()), Validation::new(ISS, AUD));
        assert_eq!(unbounded.verify_at(&far, T0).unwrap().exp, i64::MAX);
        let past = forge(
            &key,
            &header_for(&key),
            &with(claims_at(T0), "exp", json!(i64::MIN)),
        );
        assert_eq!(check(&key, &past, T0).err(), Some(TokenRejection::Expired));
        let never = with(
            with(claims_at(T0), "exp", json!(i64::MAX)),
            "nbf",
            json!(i64::MAX),
        );
        let never = forge(&key, &header_for(&key), &never);
        assert_eq!(
            check(&key, &never, T0).err(),
            Some(TokenRejection::NotYetValid)
        );
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
