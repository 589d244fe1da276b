//! What the flows return.

use std::fmt;

use zeroize::Zeroizing;

use crate::token::IssuedToken;

/// A refresh token: opaque, 256 bits of randomness. Shown to the client once
/// (in a cookie); the store keeps only its hash. Never printed.
#[derive(Clone)]
pub struct RefreshToken(Zeroizing<String>);

impl RefreshToken {
    pub(crate) fn new(token: String) -> Self {
        RefreshToken(Zeroizing::new(token))
    }

    /// The token, to put into the refresh cookie.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken(..)")
    }
}

/// An access token and the refresh token of its session.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TokenPair {
    /// The signed access token.
    pub access: IssuedToken,
    /// The session's new refresh token.
    pub refresh: RefreshToken,
    /// The refresh token's lifetime in seconds (the cookie's `Max-Age`).
    pub refresh_expires_in: u64,
}

/// The password step's answer when a second factor is needed.
#[derive(Clone)]
#[non_exhaustive]
pub struct MfaChallenge {
    /// Binds this password step to the second step; single use, short-lived.
    pub mfa_token: String,
    /// Its lifetime in seconds.
    pub expires_in: u64,
    /// The second steps the user can take (`"totp"`, `"recovery_code"`,
    /// `"passkey"`).
    pub methods: Vec<&'static str>,
}

impl fmt::Debug for MfaChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaChallenge")
            .field("expires_in", &self.expires_in)
            .field("methods", &self.methods)
            .finish_non_exhaustive()
    }
}

/// The result of a successful password step.
#[derive(Debug)]
pub enum LoginOutcome {
    /// No second factor enrolled: tokens.
    Tokens(TokenPair),
    /// A second factor is enrolled (TOTP, a passkey): take the second step
    /// with this challenge's `mfa_token`.
    MfaRequired(MfaChallenge),
}
