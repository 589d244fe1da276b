//! Claims: issuer, audience, required claims, revocation, and the
//! application's own claims.

use serde::{Deserialize, Serialize};

use super::support::*;

// Issuer and audience

#[test]
fn wrong_issuer_is_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        for iss in [
            "https://evil.example",
            "HTTPS://ID.EXAMPLE",
            "https://id.example/",
            "",
        ] {
            let token = forge(
                &key,
                &header_for(&key),
                &with(claims_at(T0), "iss", json!(iss)),
            );
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::WrongIssuer),
                "{alg} {iss}"
            );
        }
        // Same keys, another issuer name.
        let elsewhere = TokenIssuer::new(KeySet::new(key.clone()), "https://other.example", AUD);
        let token = elsewhere
            .issue_at(&TokenRequest::new("u"), &(), T0)
            .unwrap()
            .access_token;
        assert_eq!(
            check(&key, &token, T0).err(),
            Some(TokenRejection::WrongIssuer),
            "{alg}"
        );
    }
}

#[test]
fn wrong_audience_is_refused_and_an_audience_list_is_searched() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        for aud in [
            json!("other-api"),
            json!("API"),
            json!(["other", "x"]),
            json!([]),
        ] {
            let token = forge(
                &key,
                &header_for(&key),
                &with(claims_at(T0), "aud", aud.clone()),
            );
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::WrongAudience),
                "{alg} {aud}"
            );
        }
        for aud in [json!([AUD]), json!(["other", AUD]), json!([AUD, "other"])] {
            let token = forge(
                &key,
                &header_for(&key),
                &with(claims_at(T0), "aud", aud.clone()),
            );
            assert!(check(&key, &token, T0).is_ok(), "{alg} {aud}");
        }
        let elsewhere = TokenIssuer::new(KeySet::new(key.clone()), ISS, "other-api");
        let token = elsewhere
            .issue_at(&TokenRequest::new("u"), &(), T0)
            .unwrap()
            .access_token;
        assert_eq!(
            check(&key, &token, T0).err(),
            Some(TokenRejection::WrongAudience),
            "{alg}"
        );
    }
}

#[test]
fn required_claims_must_be_present() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        for field in ["exp", "sub", "jti", "iss", "aud", "iat"] {
            let token = forge(&key, &header_for(&key), &without(claims_at(T0), field));
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::MalformedClaims),
                "{alg} without {field}"
            );
            let token = forge(
                &key,
                &header_for(&key),
                &with(claims_at(T0), field, json!(null)),
            );
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::MalformedClaims),
                "{alg} {field}: null"
            );
        }
        // `nbf` and `sid` are optional.
        for field in ["nbf", "sid"] {
            let token = forge(&key, &header_for(&key), &without(claims_at(T0), field));
            assert!(check(&key, &token, T0).is_ok(), "{alg} without {field}");
        }
    }
}

// Revocation

#[test]
fn revoked_jti_session_and_user_are_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let issuer = issuer_with(&key);
        // A verifier made before any revocation sees later ones.
        let verifier = issuer.verifier();
        let a1 = issuer
            .issue(&TokenRequest::new("alice").session("s-a"))
            .unwrap();
        let a2 = issuer
            .issue(&TokenRequest::new("alice").session("s-a"))
            .unwrap();
        let a3 = issuer
            .issue(&TokenRequest::new("alice").session("s-b"))
            .unwrap();
        let b1 = issuer
            .issue(&TokenRequest::new("bob").session("s-c"))
            .unwrap();
        for t in [&a1, &a2, &a3, &b1] {
            assert!(verifier.verify(&t.access_token).is_ok(), "{alg}");
        }

        issuer.revocations().revoke_jti(&a1.jti, a1.expires_at);
        assert_eq!(
            verifier.verify(&a1.access_token).err(),
            Some(TokenRejection::Revoked),
            "{alg}"
        );
        assert!(
            verifier.verify(&a2.access_token).is_ok(),
            "same session, other jti"
        );

        issuer.revocations().revoke_session("s-a", a2.expires_at);
        assert_eq!(
            verifier.verify(&a2.access_token).err(),
            Some(TokenRejection::Revoked)
        );
        assert!(verifier.verify(&a3.access_token).is_ok(), "other session");

        let iat = verifier.verify(&a3.access_token).unwrap().iat;
        issuer
            .revocations()
            .revoke_user_before("alice", iat, a3.expires_at);
        assert_eq!(
            verifier.verify(&a3.access_token).err(),
            Some(TokenRejection::Revoked)
        );
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
        assert_eq!(
            listed.verify(&b1.access_token).err(),
            Some(TokenRejection::Revoked)
        );
    }
}

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
        let request = TokenRequest::new("user-1")
            .roles(["viewer"])
            .scopes(["read", "write"]);
        let token = issuer.issue_with(&request, &mine).unwrap();
        let verifier = issuer.verifier().with_claims::<TenantClaims>();
        let claims = verifier.verify(&token.access_token).unwrap();
        assert_eq!(claims.extra, mine, "{alg}");
        assert_eq!(claims.roles, ["viewer"]);
        assert_eq!(
            claims.roles(),
            ["editor"],
            "the application's roles field wins"
        );
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
        assert_eq!(
            verifier.verify_at(&forged, T0).err(),
            Some(TokenRejection::MalformedClaims)
        );

        // The typed verifier keeps the revocation list.
        issuer
            .revocations()
            .revoke_jti(&token.jti, token.expires_at);
        assert_eq!(
            verifier.verify(&token.access_token).err(),
            Some(TokenRejection::Revoked),
            "{alg}"
        );
    }
}
