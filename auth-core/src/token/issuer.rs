//! Issuing access tokens (RFC 9068).

use std::sync::Arc;
use std::time::Duration;

use super::TokenError;
use super::claims::OutgoingClaims;
use super::{Claims, Validation, Verifier, jws};
use crate::keys::KeySet;
use crate::revocation::RevocationList;

/// The default access-token lifetime: 15 minutes.
pub const DEFAULT_ACCESS_TTL: Duration = Duration::from_secs(900);

/// Issues access tokens for one issuer and audience, and hands out verifiers
/// that check them.
///
/// ```
/// use std::time::Duration;
/// use auth_core::{Algorithm, KeySet, TokenIssuer, TokenRequest};
///
/// let issuer = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://id.example", "api")
///     .access_ttl(Duration::from_secs(300));
/// let issued = issuer.issue(&TokenRequest::new("user-1").amr(["pwd"]))?;
/// assert_eq!(issued.expires_in, 300);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct TokenIssuer {
    keys: KeySet,
    validation: Validation,
    ttl: Duration,
    revocations: RevocationList,
}

/// What to put into one access token.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    subject: String,
    session: Option<String>,
    amr: Vec<String>,
    roles: Vec<String>,
    scope: Option<String>,
    client_id: Option<String>,
    acr: Option<String>,
    auth_time: Option<i64>,
    preferred_username: Option<String>,
}

impl TokenRequest {
    /// A token for the user `subject`.
    pub fn new(subject: impl Into<String>) -> Self {
        TokenRequest {
            subject: subject.into(),
            ..Self::default()
        }
    }

    /// The session (refresh-token family) id; a fresh one is made when unset.
    #[must_use]
    pub fn session(mut self, sid: impl Into<String>) -> Self {
        self.session = Some(sid.into());
        self
    }

    /// Authentication methods used (RFC 8176).
    #[must_use]
    pub fn amr<I: IntoIterator<Item = S>, S: Into<String>>(mut self, methods: I) -> Self {
        self.amr = methods.into_iter().map(Into::into).collect();
        self
    }

    /// The user's roles.
    #[must_use]
    pub fn roles<I: IntoIterator<Item = S>, S: Into<String>>(mut self, roles: I) -> Self {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// Granted scopes, written space-separated into `scope`.
    #[must_use]
    pub fn scopes<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, scopes: I) -> Self {
        let joined: Vec<String> = scopes.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self.scope = (!joined.is_empty()).then(|| joined.join(" "));
        self
    }

    /// The OAuth client the token is for.
    #[must_use]
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The authentication context class.
    #[must_use]
    pub fn acr(mut self, acr: impl Into<String>) -> Self {
        self.acr = Some(acr.into());
        self
    }

    /// When the user authenticated (seconds since the epoch); now when unset.
    #[must_use]
    pub fn auth_time(mut self, at: i64) -> Self {
        self.auth_time = Some(at);
        self
    }

    /// The user's login name, written as `preferred_username`.
    #[must_use]
    pub fn preferred_username(mut self, name: impl Into<String>) -> Self {
        self.preferred_username = Some(name.into());
        self
    }
}

/// A freshly signed access token.
#[derive(Clone)]
#[non_exhaustive]
pub struct IssuedToken {
    /// The compact JWS.
    pub access_token: String,
    /// Its `jti`.
    pub jti: String,
    /// Its `sid`.
    pub sid: String,
    /// Its `exp`, seconds since the epoch.
    pub expires_at: i64,
    /// Its lifetime in seconds (for `expires_in`).
    pub expires_in: u64,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("jti", &self.jti)
            .field("sid", &self.sid)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl TokenIssuer {
    /// An issuer signing with `keys` as `issuer` for `audience`.
    pub fn new(keys: KeySet, issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        TokenIssuer {
            keys,
            validation: Validation::new(issuer, audience),
            ttl: DEFAULT_ACCESS_TTL,
            revocations: RevocationList::new(),
        }
    }

    /// The access-token lifetime (15 minutes by default).
    #[must_use]
    pub fn access_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Replaces the validation verifiers of this issuer apply (leeway, size bound);
    /// the issuer and audience stay this issuer's.
    #[must_use]
    pub fn validation(mut self, validation: Validation) -> Self {
        self.validation = Validation {
            issuer: std::mem::take(&mut self.validation.issuer),
            audience: std::mem::take(&mut self.validation.audience),
            ..validation
        };
        self
    }

    /// Uses `list` as the revocation list shared by this issuer's verifiers.
    #[must_use]
    pub fn revocation_list(mut self, list: RevocationList) -> Self {
        self.revocations = list;
        self
    }

    /// The keys.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// The `iss` written into tokens.
    pub fn issuer(&self) -> &str {
        &self.validation.issuer
    }

    /// The `aud` written into tokens.
    pub fn audience(&self) -> &str {
        &self.validation.audience
    }

    /// The access-token lifetime.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The revocation list this issuer's verifiers consult.
    pub fn revocations(&self) -> &RevocationList {
        &self.revocations
    }

    /// A verifier for this issuer's tokens, consulting its revocation list,
    /// and refusing tokens whose lifetime (`exp` − `iat`) is longer than this
    /// issuer's access TTL: a revocation of a user or session is kept for
    /// that long, so no token it covers can outlive it.
    ///
    /// Each call makes a new verifier, with an empty cache of accepted
    /// tokens: make one and clone it (clones share the cache).
    pub fn verifier(&self) -> Verifier {
        let validation = self.validation.clone().max_lifetime(self.ttl);
        Verifier::new(self.keys.clone(), validation)
            .with_shared_revocations(Arc::new(self.revocations.clone()))
    }

    /// Signs an access token without application claims.
    pub fn issue(&self, request: &TokenRequest) -> Result<IssuedToken, TokenError> {
        self.issue_with(request, &())
    }

    /// Signs an access token carrying the application's own claims `extra`.
    pub fn issue_with<C: Claims>(
        &self,
        request: &TokenRequest,
        extra: &C,
    ) -> Result<IssuedToken, TokenError> {
        self.issue_at(request, extra, crate::time::now())
    }

    /// Signs an access token as of `now` (seconds since the epoch); for tests and tools.
    pub fn issue_at<C: Claims>(
        &self,
        request: &TokenRequest,
        extra: &C,
        now: i64,
    ) -> Result<IssuedToken, TokenError> {
        let key = self
            .keys
            .signing_key()
            .ok_or(crate::keys::KeyError::NoSigningKey)?;
        if C::without_parsing().is_none() {
            refuse_registered_names(extra)?;
        }
        let ttl = self.ttl.as_secs();
        let expires_at = now.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX));
        let jti = crate::random::token_id()?;
        let sid = match &request.session {
            Some(sid) => sid.clone(),
            None => crate::random::token_id()?,
        };
        let claims = OutgoingClaims {
            iss: &self.validation.issuer,
            sub: &request.subject,
            aud: &self.validation.audience,
            exp: expires_at,
            iat: now,
            nbf: now,
            jti: &jti,
            sid: &sid,
            amr: &request.amr,
            auth_time: Some(request.auth_time.unwrap_or(now)),
            acr: request.acr.as_deref(),
            roles: &request.roles,
            scope: request.scope.as_deref(),
            client_id: request.client_id.as_deref(),
            preferred_username: request.preferred_username.as_deref(),
            extra,
        };
        let access_token = jws::sign_compact(&key, "at+jwt", &claims)?;
        Ok(IssuedToken {
            access_token,
            jti,
            sid,
            expires_at,
            expires_in: ttl,
        })
    }
}

/// The claims this issuer writes itself.
const REGISTERED_CLAIMS: [&str; 15] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "sid",
    "amr",
    "auth_time",
    "acr",
    "roles",
    "scope",
    "client_id",
    "preferred_username",
];

/// An application claim named like a registered one would be written twice,
/// and the token refused by every verifier: say so when issuing instead.
fn refuse_registered_names<C: Claims>(extra: &C) -> Result<(), TokenError> {
    let value = serde_json::to_value(extra).map_err(TokenError::Claims)?;
    if let Some(name) = value.as_object().and_then(|object| {
        REGISTERED_CLAIMS
            .iter()
            .find(|name| object.contains_key(**name))
    }) {
        return Err(TokenError::ReservedClaim(name));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Algorithm, KeySet};

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Clashing {
        sub: String,
    }
    impl Claims for Clashing {}

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Tenant {
        tenant: String,
    }
    impl Claims for Tenant {}

    #[test]
    fn application_claims_may_not_reuse_registered_names() {
        let issuer = TokenIssuer::new(
            KeySet::generate(Algorithm::HS256).unwrap(),
            "https://i",
            "a",
        );
        let request = TokenRequest::new("u1");
        let clash = issuer.issue_with(
            &request,
            &Clashing {
                sub: "other".into(),
            },
        );
        assert!(matches!(clash, Err(TokenError::ReservedClaim("sub"))));
        let fine = issuer
            .issue_with(&request, &Tenant { tenant: "t".into() })
            .unwrap();
        let claims = issuer
            .verifier()
            .with_claims::<Tenant>()
            .verify(&fine.access_token)
            .unwrap();
        assert_eq!(claims.extra.tenant, "t");
        assert_eq!(claims.sub, "u1");
    }
}
