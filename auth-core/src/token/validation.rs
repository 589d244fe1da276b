//! What a verifier checks beyond the signature.

use std::time::Duration;

/// The largest leeway a verifier accepts for `exp`, `nbf` and `iat`.
pub const MAX_LEEWAY: Duration = Duration::from_secs(60);
/// The default bound on a token's length (RFC 8725 §3.x: bound the work before verifying).
pub const DEFAULT_MAX_TOKEN_LEN: usize = 8 * 1024;

/// The checks a [`Verifier`](crate::Verifier) applies to the registered claims,
/// in the manner of `jsonwebtoken::Validation` but smaller: there is nothing to
/// switch off. `iss`, `aud`, `exp`, `typ` are always checked.
///
/// ```
/// use std::time::Duration;
/// use auth_core::Validation;
///
/// let v = Validation::new("https://issuer.example", "my-api").leeway(Duration::from_secs(5));
/// assert_eq!(v.leeway_secs(), 5);
/// // Leeway is bounded: an hour becomes a minute.
/// let v = v.leeway(Duration::from_secs(3600));
/// assert_eq!(v.leeway_secs(), 60);
/// ```
#[derive(Debug, Clone)]
pub struct Validation {
    pub(crate) issuer: String,
    pub(crate) audience: String,
    pub(crate) leeway: i64,
    pub(crate) max_token_len: usize,
    pub(crate) max_lifetime: Option<i64>,
}

impl Validation {
    /// Checks that tokens were issued by `issuer` for `audience`, with a 30 s
    /// leeway and the 8 KiB size bound.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Validation {
            issuer: issuer.into(),
            audience: audience.into(),
            leeway: 30,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            max_lifetime: None,
        }
    }

    /// Refuses tokens whose lifetime (`exp` − `iat`) is longer than
    /// `lifetime` ([`TokenRejection::LifetimeTooLong`](crate::TokenRejection)).
    /// Revocations of a user or a session are kept as long as a token may
    /// live: without a bound, a token minted with a far `exp` (by a trusted
    /// peer, say) would outlive them. [`TokenIssuer::verifier`](crate::TokenIssuer::verifier)
    /// sets it to the issuer's access TTL.
    #[must_use]
    pub fn max_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_lifetime = Some(i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX));
        self
    }

    /// Clock-skew allowance for `exp`, `nbf` and `iat`; at most [`MAX_LEEWAY`].
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        let bounded = leeway.min(MAX_LEEWAY).as_secs();
        self.leeway = i64::try_from(bounded).unwrap_or(0);
        self
    }

    /// The longest token (in bytes) worth looking at; longer ones are refused
    /// before any decoding.
    #[must_use]
    pub fn max_token_len(mut self, bytes: usize) -> Self {
        self.max_token_len = bytes;
        self
    }

    /// The expected `iss`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The expected `aud`.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The leeway in seconds.
    pub fn leeway_secs(&self) -> i64 {
        self.leeway
    }

    /// The longest lifetime accepted, in seconds, if bounded.
    pub fn max_lifetime_secs(&self) -> Option<i64> {
        self.max_lifetime
    }
}
