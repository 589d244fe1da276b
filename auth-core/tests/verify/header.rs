//! Header parameters (`typ`, `crit`, key references) and the size bound.

use std::io::ErrorKind;
use std::net::TcpListener;

use auth_core::token::DEFAULT_MAX_TOKEN_LEN;

use super::support::*;

// Type and critical parameters

#[test]
fn typ_must_name_an_access_token() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let claims = claims_at(T0);
        let missing = forge(&key, &without(header_for(&key), "typ"), &claims);
        assert_eq!(
            check(&key, &missing, T0).err(),
            Some(TokenRejection::WrongType),
            "{alg}"
        );
        for typ in [
            json!("JWT"),
            json!("jwt"),
            json!("at+JWT+x"),
            json!("at-jwt"),
            json!(""),
            json!(null),
        ] {
            let token = forge(&key, &with(header_for(&key), "typ", typ.clone()), &claims);
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::WrongType),
                "{alg} {typ}"
            );
        }
        let token = forge(
            &key,
            &with(header_for(&key), "typ", json!(["at+jwt"])),
            &claims,
        );
        assert_eq!(
            check(&key, &token, T0).err(),
            Some(TokenRejection::MalformedHeader)
        );
        for typ in [
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "Application/AT+JWT",
        ] {
            let token = forge(&key, &with(header_for(&key), "typ", json!(typ)), &claims);
            assert!(check(&key, &token, T0).is_ok(), "{alg} {typ}");
        }
    }
}

#[test]
fn crit_header_is_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        for crit in [
            json!(["exp"]),
            json!(["b64"]),
            json!([]),
            json!(null),
            json!("exp"),
        ] {
            let header = with(header_for(&key), "crit", crit.clone());
            let token = forge(&key, &header, &claims_at(T0));
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::CriticalHeader),
                "{alg} {crit}"
            );
        }
    }
}

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
        assert_eq!(
            check(&key, &token, T0).err(),
            Some(TokenRejection::BadSignature),
            "{alg}"
        );

        // With the attacker's kid: no such key here.
        let mut own_kid = header.clone();
        own_kid["kid"] = json!(attacker.kid());
        own_kid["jwk"]["kid"] = json!(attacker.kid());
        let token = forge(&attacker, &own_kid, &claims_at(T0));
        assert_eq!(
            check(&key, &token, T0).err(),
            Some(TokenRejection::UnknownKey),
            "{alg}"
        );

        // Without kid (the classic embedded-jwk attack): our only key is used.
        let token = forge(&attacker, &without(header, "kid"), &claims_at(T0));
        assert_eq!(
            check(&key, &token, T0).err(),
            Some(TokenRejection::BadSignature),
            "{alg}"
        );
    }
    listener.set_nonblocking(true).unwrap();
    assert_eq!(
        listener.accept().map(|_| ()).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

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
        assert!(
            verifier.verify_at(&fits, T0).is_ok(),
            "{alg}: {} bytes",
            fits.len()
        );
        assert_eq!(
            verifier.verify_at(&too_long, T0).err(),
            Some(TokenRejection::Oversized),
            "{alg}"
        );

        // Garbage of any size past the bound is refused on its length alone.
        let garbage = "A".repeat(1 << 20);
        assert_eq!(
            verifier.verify_at(&garbage, T0).err(),
            Some(TokenRejection::Oversized)
        );

        // A custom bound, to the byte.
        let token = issued(&key);
        let exact =
            issuer_with(&key).validation(Validation::new(ISS, AUD).max_token_len(token.len()));
        assert!(exact.verifier().verify_at(&token, T0).is_ok(), "{alg}");
        let short =
            issuer_with(&key).validation(Validation::new(ISS, AUD).max_token_len(token.len() - 1));
        assert_eq!(
            short.verifier().verify_at(&token, T0).err(),
            Some(TokenRejection::Oversized)
        );
    }
}
