//! Accepting the tokens of several issuers, each by its own rules.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::{AccessClaims, Claims, DEFAULT_MAX_TOKEN_LEN, TokenRejection, TokenVerifier, Verifier};

/// Several [`Verifier`]s, one per trusted issuer (ours, a partner's, an
/// identity provider's), each with its own keys, audience and revocations;
/// made by [`Verifier::any`].
///
/// A token goes to the verifier(s) whose issuer its `iss` names. That `iss`
/// is read from the *unverified* payload only to choose: the chosen verifier
/// then runs every check, signature and `iss` included, so a forged `iss`
/// can only pick a verifier that will refuse the token. A token naming no
/// trusted issuer is refused as [`TokenRejection::WrongIssuer`] without any
/// key being looked at (and so without making a remote key set refresh).
/// When several verifiers share an issuer (say, two audiences), the first
/// that accepts the token wins; if none does, the first one's reason is
/// returned.
///
/// A token one of the verifiers has accepted before is answered from that
/// verifier's cache (see [`Verifier`]), with every check that can change
/// since made again, before the payload is looked at.
///
/// Cloning is cheap.
pub struct TrustedIssuers<C = ()> {
    verifiers: Arc<[Verifier<C>]>,
    /// The longest token any of them looks at: the bound before decoding.
    max_token_len: usize,
}

/// The one claim read before verification.
#[derive(Deserialize)]
struct Issuer<'a> {
    #[serde(borrow)]
    iss: Cow<'a, str>,
}

impl<C> TrustedIssuers<C> {
    /// Trusts the issuers of `verifiers`, in this order.
    pub fn new(verifiers: impl IntoIterator<Item = Verifier<C>>) -> Self {
        let verifiers: Arc<[Verifier<C>]> = verifiers.into_iter().collect();
        let max_token_len = verifiers
            .iter()
            .map(|v| v.validation().max_token_len)
            .max()
            .unwrap_or(DEFAULT_MAX_TOKEN_LEN);
        TrustedIssuers {
            verifiers,
            max_token_len,
        }
    }

    /// The verifiers, in the order they are tried.
    pub fn verifiers(&self) -> &[Verifier<C>] {
        &self.verifiers
    }
}

impl<C: Claims> TrustedIssuers<C> {
    /// Verifies `token` now with the verifier of the issuer it names.
    pub fn verify(&self, token: &str) -> Result<Arc<AccessClaims<C>>, TokenRejection> {
        if token.len() > self.max_token_len {
            return Err(TokenRejection::Oversized);
        }
        let now = crate::time::now();
        for verifier in self.verifiers.iter() {
            if let Some(Ok(claims)) = verifier.cached(token, now) {
                return Ok(claims);
            }
        }
        let claims_json = unverified_claims(token)?;
        let claimed: Issuer<'_> =
            serde_json::from_slice(&claims_json).map_err(|_| TokenRejection::MalformedClaims)?;
        let iss = &*claimed.iss;
        let mut first_refusal = None;
        for verifier in self
            .verifiers
            .iter()
            .filter(|v| v.validation().issuer() == iss)
        {
            // Every cache was asked above.
            match verifier.verify_in_full(token, now) {
                Ok(claims) => return Ok(claims),
                Err(reason) => {
                    first_refusal.get_or_insert(reason);
                }
            }
        }
        Err(first_refusal.unwrap_or(TokenRejection::WrongIssuer))
    }
}

/// The claims JSON of a compact JWS, unverified.
fn unverified_claims(token: &str) -> Result<Vec<u8>, TokenRejection> {
    let mut segments = token.split('.');
    let claims_b64 = match (segments.next(), segments.next(), segments.next()) {
        (Some(_), Some(claims), Some(_)) if segments.next().is_none() => claims,
        _ => return Err(TokenRejection::Malformed),
    };
    URL_SAFE_NO_PAD
        .decode(claims_b64)
        .map_err(|_| TokenRejection::MalformedClaims)
}

impl<C: Claims> TokenVerifier for TrustedIssuers<C> {
    type Claims = C;

    #[inline]
    fn verify_token(&self, token: &str) -> Result<Arc<AccessClaims<C>>, TokenRejection> {
        self.verify(token)
    }
}

impl<C> Clone for TrustedIssuers<C> {
    fn clone(&self) -> Self {
        TrustedIssuers {
            verifiers: Arc::clone(&self.verifiers),
            max_token_len: self.max_token_len,
        }
    }
}

impl<C> fmt::Debug for TrustedIssuers<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.verifiers.iter().map(|v| v.validation()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Algorithm, KeySet, TokenIssuer, TokenRejection, TokenRequest, Verifier};

    fn issuer(iss: &str, aud: &str) -> Result<TokenIssuer, Box<dyn std::error::Error>> {
        Ok(TokenIssuer::new(
            KeySet::generate(Algorithm::EdDSA)?,
            iss,
            aud,
        ))
    }

    #[test]
    fn each_issuer_is_checked_with_its_own_keys_and_audience()
    -> Result<(), Box<dyn std::error::Error>> {
        let ours = issuer("https://id.example", "api")?;
        let partner = issuer("https://partner.example", "api")?;
        let other_audience = issuer("https://partner.example", "billing")?;
        let stranger = issuer("https://stranger.example", "api")?;
        let verifier = Verifier::any([ours.verifier(), partner.verifier()]);

        let token = |i: &TokenIssuer| i.issue(&TokenRequest::new("u")).map(|t| t.access_token);
        assert_eq!(verifier.verify(&token(&ours)?)?.iss, "https://id.example");
        assert_eq!(
            verifier.verify(&token(&partner)?)?.iss,
            "https://partner.example"
        );
        // Same issuer name, other keys: the partner's verifier refuses it.
        assert_eq!(
            verifier.verify(&token(&other_audience)?).err(),
            Some(TokenRejection::UnknownKey)
        );
        assert_eq!(
            verifier.verify(&token(&stranger)?).err(),
            Some(TokenRejection::WrongIssuer)
        );
        assert_eq!(
            verifier.verify("not-a-token").err(),
            Some(TokenRejection::Malformed)
        );
        Ok(())
    }

    #[test]
    fn a_forged_iss_only_picks_a_verifier_that_refuses() -> Result<(), Box<dyn std::error::Error>> {
        let ours = issuer("https://id.example", "api")?;
        // An attacker's own keys, claiming to be us.
        let forger = issuer("https://id.example", "api")?;
        let verifier = Verifier::any([ours.verifier()]);
        let forged = forger.issue(&TokenRequest::new("admin"))?.access_token;
        assert_eq!(
            verifier.verify(&forged).err(),
            Some(TokenRejection::UnknownKey)
        );
        Ok(())
    }

    #[test]
    fn issuers_sharing_a_name_are_tried_in_order() -> Result<(), Box<dyn std::error::Error>> {
        let keys = KeySet::generate(Algorithm::EdDSA)?;
        let api = TokenIssuer::new(keys.clone(), "https://id.example", "api");
        let billing = TokenIssuer::new(keys, "https://id.example", "billing");
        let verifier = Verifier::any([api.verifier(), billing.verifier()]);
        let for_billing = billing.issue(&TokenRequest::new("u"))?.access_token;
        assert_eq!(verifier.verify(&for_billing)?.sub, "u");
        let only_api = Verifier::any([api.verifier()]);
        assert_eq!(
            only_api.verify(&for_billing).err(),
            Some(TokenRejection::WrongAudience)
        );
        Ok(())
    }
}
