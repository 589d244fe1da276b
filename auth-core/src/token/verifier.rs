//! Verifying access tokens (RFC 9068) by the rules of RFC 8725.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::cache::{CacheLimits, CacheUsage, VerifiedTokens};
use super::{AccessClaims, Claims, TokenRejection, Trust, TrustedIssuers, Validation, jws};
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
/// from a local view, which, when a [maximum
/// staleness](Verifier::max_revocation_staleness) is set, must have been known
/// complete within it. Key URLs in the header (`jku`, `x5u`, `jwk`) are never
/// followed.
///
/// The header and the claims are each decoded and parsed once. `C` is the
/// application's own claims type (`()` for none).
///
/// # The cache of accepted tokens
///
/// A client sends the same access token on every request for the token's
/// whole lifetime, so a verifier remembers the tokens it has accepted (by
/// their exact bytes) with their claims, and a token seen before is not
/// decoded, parsed or signature-checked again. What can change after a
/// token was accepted is checked on every request all the same, as a full
/// verification checks it: `exp` and `nbf` against the clock, revocation
/// of the `jti`, the session and the user, the revocation view's
/// staleness, and the keys (a token whose key was retired or rotated out
/// is verified afresh, and refused). Refusals are never remembered.
///
/// The cache is on by default, bounded by [`CacheLimits`] (100,000 tokens
/// by default); see [`Verifier::cache_limits`] and [`Verifier::without_cache`].
/// Clones share it, so build a verifier once and clone it.
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
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Verifier<C = ()> {
    shared: Arc<Shared>,
    /// Tokens accepted before; `None` when the cache is off.
    cache: Option<Arc<VerifiedTokens<C>>>,
}

#[derive(Clone)]
struct Shared {
    keys: KeySet,
    validation: Validation,
    revocations: Option<Arc<dyn RevocationView>>,
    /// Refuse tokens when the revocation view has not been known complete
    /// within this long (`None`: never refuse for staleness).
    max_staleness: Option<Duration>,
    /// How far accepted tokens are trusted.
    trust: Trust,
    /// The bounds of the cache of accepted tokens; `None`: no cache.
    cache_limits: Option<CacheLimits>,
}

impl<C> Clone for Verifier<C> {
    fn clone(&self) -> Self {
        Verifier {
            shared: Arc::clone(&self.shared),
            cache: self.cache.clone(),
        }
    }
}

impl<C> fmt::Debug for Verifier<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &self.shared.keys)
            .field("validation", &self.shared.validation)
            .field("revocations", &self.shared.revocations.is_some())
            .field("max_revocation_staleness", &self.shared.max_staleness)
            .field("trust", &self.shared.trust)
            .field("cache", &self.cache_usage())
            .finish()
    }
}

impl Verifier<()> {
    /// A verifier for tokens signed by `keys` and checked against
    /// `validation`, with a cache of accepted tokens within the default
    /// [`CacheLimits`].
    pub fn new(keys: KeySet, validation: Validation) -> Self {
        Verifier::from_shared(Shared {
            keys,
            validation,
            revocations: None,
            max_staleness: None,
            trust: Trust::Full,
            cache_limits: Some(CacheLimits::default()),
        })
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
        self.changed(|shared| shared.revocations = Some(view))
    }

    /// Trusts the tokens this verifier accepts for who the caller is, and for
    /// nothing else: their `roles`, `scope`, `amr`, `acr` and `auth_time` are
    /// emptied and the claims marked [`Trust::IdentityOnly`], so no role,
    /// scope, MFA or recent-authentication requirement is ever met by them.
    /// For another service's tokens (a peer sharing a secret, a partner's
    /// issuer) that name your users but must not grant them anything here.
    ///
    /// ```
    /// use auth_core::{Algorithm, KeySet, TokenIssuer, TokenRequest, Trust};
    ///
    /// let peer = TokenIssuer::new(KeySet::generate(Algorithm::HS256)?, "https://peer.example", "api");
    /// let token = peer.issue(&TokenRequest::new("u1").roles(["admin"]).amr(["pwd", "mfa"]))?;
    /// let claims = peer.verifier().identity_only().verify(&token.access_token)?;
    /// assert_eq!((claims.sub.as_str(), claims.trust), ("u1", Trust::IdentityOnly));
    /// assert!(!claims.has_role("admin") && !claims.is_mfa());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn identity_only(self) -> Self {
        self.changed(|shared| shared.trust = Trust::IdentityOnly)
    }

    /// This verifier with one setting changed (the others shared as they
    /// are), and a cache of its own: what the old one accepted was judged by
    /// the old settings.
    fn changed(self, change: impl FnOnce(&mut Shared)) -> Self {
        let mut shared = (*self.shared).clone();
        change(&mut shared);
        Verifier::from_shared(shared)
    }

    fn from_shared(shared: Shared) -> Self {
        Verifier {
            cache: shared
                .cache_limits
                .map(|limits| Arc::new(VerifiedTokens::new(limits))),
            shared: Arc::new(shared),
        }
    }

    /// Keeps at most `limits` of accepted tokens (see [the
    /// cache](Verifier#the-cache-of-accepted-tokens)); the cache starts empty.
    #[must_use]
    pub fn cache_limits(self, limits: CacheLimits) -> Self {
        self.changed(|shared| shared.cache_limits = Some(limits))
    }

    /// Verifies every token in full, every time: no cache of accepted tokens.
    #[must_use]
    pub fn without_cache(self) -> Self {
        self.changed(|shared| shared.cache_limits = None)
    }

    /// What the cache of accepted tokens holds now (`None` without a cache):
    /// for metrics. Two atomic loads.
    pub fn cache_usage(&self) -> Option<CacheUsage> {
        self.cache.as_deref().map(VerifiedTokens::usage)
    }

    /// Refuse every token ([`TokenRejection::RevocationsStale`]) while the
    /// revocation view has not been known complete within `max_age`: with a
    /// shared store, a revocation made on another instance while this one
    /// cannot hear the store would otherwise go unnoticed (fail closed).
    ///
    /// Unset by default: a stale view is trusted as it is. The check is one
    /// atomic load; views fed only within the process are never stale.
    #[must_use]
    pub fn max_revocation_staleness(self, max_age: Duration) -> Self {
        self.changed(|shared| shared.max_staleness = Some(max_age))
    }

    /// One verifier for the tokens of several issuers, each checked by the
    /// verifier whose issuer the token names (its own keys, audience and
    /// revocations): see [`TrustedIssuers`].
    ///
    /// ```
    /// use auth_core::{Algorithm, KeySet, TokenIssuer, TokenRequest, Verifier};
    ///
    /// let ours = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://id.example", "api");
    /// let partner = TokenIssuer::new(KeySet::generate(Algorithm::ES256)?, "https://partner.example", "api");
    /// let verifier = Verifier::any([ours.verifier(), partner.verifier()]);
    /// let token = partner.issue(&TokenRequest::new("p-7"))?.access_token;
    /// assert_eq!(verifier.verify(&token)?.iss, "https://partner.example");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn any(verifiers: impl IntoIterator<Item = Verifier<C>>) -> TrustedIssuers<C> {
        TrustedIssuers::new(verifiers)
    }

    /// The same verifier, returning the application's own claims type `D`
    /// too (with a cache of its own).
    pub fn with_claims<D: Claims>(self) -> Verifier<D> {
        Verifier {
            cache: self
                .shared
                .cache_limits
                .map(|limits| Arc::new(VerifiedTokens::new(limits))),
            shared: self.shared,
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
    /// Verifies `token` now. The claims are shared: a token seen again is
    /// answered with the same claims, from the cache.
    pub fn verify(&self, token: &str) -> Result<Arc<AccessClaims<C>>, TokenRejection> {
        self.verify_at(token, crate::time::now())
    }

    /// Verifies `token` as of `now` (seconds since the epoch).
    pub fn verify_at(&self, token: &str, now: i64) -> Result<Arc<AccessClaims<C>>, TokenRejection> {
        match self.cached(token, now) {
            Some(answer) => answer,
            None => self.verify_in_full(token, now),
        }
    }

    /// Verifies `token` as of `now` without asking the cache (and keeps it
    /// there when it is accepted): for callers that asked the cache already.
    pub(super) fn verify_in_full(
        &self,
        token: &str,
        now: i64,
    ) -> Result<Arc<AccessClaims<C>>, TokenRejection> {
        let shared = &*self.shared;
        let mut claims_buffer = jws::SegmentBuffer::new();
        let verified = jws::verify_compact(
            &shared.keys,
            token,
            shared.validation.max_token_len,
            is_access_token_type,
            &mut claims_buffer,
        )?;
        let claims_json = verified.claims_json;

        // Claims: parsed once; the application's own claims only when it has some.
        let registered: AccessClaims<()> =
            serde_json::from_slice(claims_json).map_err(|_| TokenRejection::MalformedClaims)?;
        self.check_time(&registered, now)?;
        self.check_static(&registered)?;
        self.check_revocation(&registered)?;

        let (extra, extra_heap) = match C::without_parsing() {
            Some(extra) => (extra, 0),
            None => (
                serde_json::from_slice(claims_json).map_err(|_| TokenRejection::MalformedClaims)?,
                claims_json.len(),
            ),
        };
        let mut claims = registered.with_extra(extra);
        if shared.trust == Trust::IdentityOnly {
            claims.trust = Trust::IdentityOnly;
            claims.roles.clear();
            claims.amr.clear();
            claims.scope = None;
            claims.acr = None;
            claims.auth_time = None;
        }
        let claims = Arc::new(claims);
        if let Some(cache) = &self.cache {
            cache.insert(
                token,
                &claims,
                verified.key_generation,
                claims.registered_heap_size() + extra_heap,
                now.saturating_sub(shared.validation.leeway),
            );
        }
        Ok(claims)
    }

    /// The answer for a token accepted before under the current keys: its
    /// claims checked against what may have changed since. `None` when the
    /// token is not in the cache (or its keys have changed), to verify in full.
    #[inline]
    pub(super) fn cached(
        &self,
        token: &str,
        now: i64,
    ) -> Option<Result<Arc<AccessClaims<C>>, TokenRejection>> {
        let cache = self.cache.as_deref()?;
        let claims = cache.get(token, self.shared.keys.generation())?;
        Some(
            self.check_time(&claims, now)
                .and_then(|()| self.check_revocation(&claims))
                .map(|()| claims),
        )
    }

    /// `exp` and `nbf` (and `iat`, as an `nbf`) against `now`, with leeway.
    #[inline]
    fn check_time<D>(&self, claims: &AccessClaims<D>, now: i64) -> Result<(), TokenRejection> {
        let leeway = self.shared.validation.leeway;
        if now >= claims.exp.saturating_add(leeway) {
            return Err(TokenRejection::Expired);
        }
        let not_before = claims.nbf.unwrap_or(i64::MIN).max(claims.iat);
        if not_before > now.saturating_add(leeway) {
            return Err(TokenRejection::NotYetValid);
        }
        Ok(())
    }

    /// What a token says once and for all: its lifetime, issuer and audience.
    fn check_static(&self, claims: &AccessClaims<()>) -> Result<(), TokenRejection> {
        let validation = &self.shared.validation;
        if let Some(max_lifetime) = validation.max_lifetime
            && claims.exp.saturating_sub(claims.iat) > max_lifetime
        {
            return Err(TokenRejection::LifetimeTooLong);
        }
        if claims.iss != validation.issuer {
            return Err(TokenRejection::WrongIssuer);
        }
        if !claims.aud.contains(&validation.audience) {
            return Err(TokenRejection::WrongAudience);
        }
        Ok(())
    }

    /// Revocation of the `jti`, the session or the user, in the local view,
    /// and the view's staleness.
    #[inline]
    fn check_revocation<D>(&self, claims: &AccessClaims<D>) -> Result<(), TokenRejection> {
        let shared = &*self.shared;
        let Some(view) = &shared.revocations else {
            return Ok(());
        };
        let query = RevocationQuery {
            jti: &claims.jti,
            sid: claims.sid.as_deref(),
            sub: &claims.sub,
            iat: claims.iat,
        };
        if view.is_revoked(&query) {
            return Err(TokenRejection::Revoked);
        }
        // After the lookup: a token the view knows revoked is refused as
        // revoked; the others cannot be vouched for by a stale view.
        if let Some(max_age) = shared.max_staleness
            && !view.is_complete_within(max_age)
        {
            return Err(TokenRejection::RevocationsStale);
        }
        Ok(())
    }
}

/// Something that verifies access tokens and returns their claims: a
/// [`Verifier`], or several issuers' verifiers as [`TrustedIssuers`]. What
/// a layer verifying requests is generic over.
///
/// Verification is synchronous and must not wait on the network.
pub trait TokenVerifier: Clone + fmt::Debug + Send + Sync + 'static {
    /// The application's own claims type (`()` for none).
    type Claims: Claims;

    /// Verifies `token` now, returning its claims (shared, so that an
    /// implementation may keep them) or why it was refused.
    fn verify_token(&self, token: &str) -> Result<Arc<AccessClaims<Self::Claims>>, TokenRejection>;
}

impl<C: Claims> TokenVerifier for Verifier<C> {
    type Claims = C;

    #[inline]
    fn verify_token(&self, token: &str) -> Result<Arc<AccessClaims<C>>, TokenRejection> {
        self.verify(token)
    }
}

/// RFC 9068 §4: `at+jwt`, or the full media type; media types compare
/// case-insensitively (RFC 7515 §4.1.9).
fn is_access_token_type(typ: &str) -> bool {
    typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("application/at+jwt")
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::revocation::RevocationList;
    use crate::{Algorithm, KeySet, TokenIssuer, TokenRejection, TokenRequest};

    fn issuer(list: &RevocationList) -> Result<TokenIssuer, Box<dyn std::error::Error>> {
        Ok(
            TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://id", "api")
                .revocation_list(list.clone()),
        )
    }

    #[test]
    fn a_stale_view_refuses_tokens_only_when_a_maximum_is_set()
    -> Result<(), Box<dyn std::error::Error>> {
        let list = RevocationList::new();
        let issuer = issuer(&list)?;
        let token = issuer.issue(&TokenRequest::new("u1"))?.access_token;
        let strict = issuer
            .verifier()
            .max_revocation_staleness(Duration::from_secs(60));
        // Not fed by a sync: never stale.
        assert!(strict.verify(&token).is_ok());

        list.track_sync();
        assert_eq!(
            strict.verify(&token).err(),
            Some(TokenRejection::RevocationsStale),
            "a tracked list that never synced must not vouch for tokens"
        );
        assert!(
            issuer.verifier().verify(&token).is_ok(),
            "without a maximum, staleness is never a reason to refuse"
        );
        list.mark_synced(Instant::now());
        assert!(strict.verify(&token).is_ok());

        // A token the view knows revoked is refused as revoked, stale or not.
        let claims = strict.verify(&token)?;
        list.revoke_jti(&claims.jti, claims.exp);
        let stale = strict.clone().max_revocation_staleness(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(stale.verify(&token).err(), Some(TokenRejection::Revoked));
        Ok(())
    }
}
