//! Verifying access tokens (RFC 9068) by the rules of RFC 8725.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use super::{AccessClaims, Claims, TokenRejection, Validation, jws};
use crate::keys::KeySet;
use crate::revocation::{RevocationQuery, RevocationView};

/// Verifies access tokens and returns their claims.
///
/// The checks, in order (each failure names itself in a [`TokenRejection`]):
/// size bound; three base64url segments; a JSON header whose `alg` is a
/// supported algorithm (never `none`); `typ` of `at+jwt` or `application/at+jwt`;
/// no `crit`; a `kid` naming a current key *whose own algorithm is `alg`*; the
/// signature; then the claims: `exp`, `nbf`, `iat` (with bounded leeway), `iss`,
/// `aud`; and last, revocation of the `jti`, the session or the user, answered
/// from a local view. Key URLs in the header (`jku`, `x5u`, `jwk`) are never
/// followed.
///
/// The header and the claims are each decoded and parsed once. `C` is the
/// application's own claims type (`()` for none).
///
/// Cloning is cheap; a verifier is shared by every request.
///
/// ```
/// use auth_core::{Algorithm, KeySet, TokenIssuer, TokenRequest};
///
/// let issuer = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://id.example", "api");
/// let token = issuer.issue(&TokenRequest::new("user-42").roles(["admin"]))?;
/// let claims = issuer.verifier().verify(&token.access_token)?;
/// assert_eq!(claims.sub, "user-42");
/// assert!(claims.has_role("admin"));
/// # Ok::<(), auth_core::Error>(())
/// ```
pub struct Verifier<C = ()> {
    shared: Arc<Shared>,
    claims: PhantomData<fn() -> C>,
}

struct Shared {
    keys: KeySet,
    validation: Validation,
    revocations: Option<Arc<dyn RevocationView>>,
}

impl<C> Clone for Verifier<C> {
    fn clone(&self) -> Self {
        Verifier {
            shared: Arc::clone(&self.shared),
            claims: PhantomData,
        }
    }
}

impl<C> fmt::Debug for Verifier<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &self.shared.keys)
            .field("validation", &self.shared.validation)
            .field("revocations", &self.shared.revocations.is_some())
            .finish()
    }
}

impl Verifier<()> {
    /// A verifier for tokens signed by `keys` and checked against `validation`.
    pub fn new(keys: KeySet, validation: Validation) -> Self {
        Verifier {
            shared: Arc::new(Shared {
                keys,
                validation,
                revocations: None,
            }),
            claims: PhantomData,
        }
    }
}

impl<C> Verifier<C> {
    /// Also refuse tokens that `view` reports revoked.
    #[must_use]
    pub fn with_revocations(self, view: impl RevocationView) -> Self {
        self.with_shared_revocations(Arc::new(view))
    }

    /// Like [`Verifier::with_revocations`], with a view that is already shared.
    #[must_use]
    pub fn with_shared_revocations(self, view: Arc<dyn RevocationView>) -> Self {
        let shared = Shared {
            keys: self.shared.keys.clone(),
            validation: self.shared.validation.clone(),
            revocations: Some(view),
        };
        Verifier {
            shared: Arc::new(shared),
            claims: PhantomData,
        }
    }

    /// The same verifier, returning the application's own claims type `D` too.
    pub fn with_claims<D: Claims>(self) -> Verifier<D> {
        Verifier {
            shared: self.shared,
            claims: PhantomData,
        }
    }

    /// The keys this verifier trusts.
    pub fn keys(&self) -> &KeySet {
        &self.shared.keys
    }

    /// What this verifier checks.
    pub fn validation(&self) -> &Validation {
        &self.shared.validation
    }
}

impl<C: Claims> Verifier<C> {
    /// Verifies `token` now.
    pub fn verify(&self, token: &str) -> Result<AccessClaims<C>, TokenRejection> {
        self.verify_at(token, crate::time::now())
    }

    /// Verifies `token` as of `now` (seconds since the epoch).
    pub fn verify_at(&self, token: &str, now: i64) -> Result<AccessClaims<C>, TokenRejection> {
        let shared = &*self.shared;
        let validation = &shared.validation;
        let claims_json = jws::verify_compact(
            &shared.keys,
            token,
            validation.max_token_len,
            is_access_token_type,
        )?;

        // Claims: parsed once; the application's own claims only when it has some.
        let registered: AccessClaims<()> =
            serde_json::from_slice(&claims_json).map_err(|_| TokenRejection::MalformedClaims)?;

        let leeway = validation.leeway;
        if now >= registered.exp.saturating_add(leeway) {
            return Err(TokenRejection::Expired);
        }
        let not_before = registered.nbf.unwrap_or(i64::MIN).max(registered.iat);
        if not_before > now.saturating_add(leeway) {
            return Err(TokenRejection::NotYetValid);
        }
        if registered.iss != validation.issuer {
            return Err(TokenRejection::WrongIssuer);
        }
        if !registered.aud.contains(&validation.audience) {
            return Err(TokenRejection::WrongAudience);
        }
        if let Some(view) = &shared.revocations {
            let query = RevocationQuery {
                jti: &registered.jti,
                sid: registered.sid.as_deref(),
                sub: &registered.sub,
                iat: registered.iat,
            };
            if view.is_revoked(&query) {
                return Err(TokenRejection::Revoked);
            }
        }

        let extra = match C::without_parsing() {
            Some(extra) => extra,
            None => {
                serde_json::from_slice(&claims_json).map_err(|_| TokenRejection::MalformedClaims)?
            }
        };
        Ok(registered.with_extra(extra))
    }
}

/// RFC 9068 §4: `at+jwt`, or the full media type; media types compare
/// case-insensitively (RFC 7515 §4.1.9).
fn is_access_token_type(typ: &str) -> bool {
    typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("application/at+jwt")
}
