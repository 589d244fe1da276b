//! [`Revocation`]: one revoked token, session or user.

/// A revocation, as stored and as propagated to every instance's local view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revocation {
    /// One access token, until its own expiry.
    Token {
        /// Its `jti`.
        jti: String,
        /// Its `exp`: after that the entry is forgotten.
        expires_at: i64,
    },
    /// Every token of one session.
    Session {
        /// The `sid`.
        sid: String,
        /// Until when tokens of the session may exist.
        until: i64,
    },
    /// Every token of one user issued at or before a moment ("log out everywhere").
    User {
        /// The user's id.
        sub: String,
        /// Tokens with `iat` at or before this are revoked.
        issued_up_to: i64,
        /// Until when tokens issued before the cut-off may exist.
        until: i64,
    },
}

impl Revocation {
    /// After this moment the revocation no longer matters.
    pub fn expires_at(&self) -> i64 {
        match self {
            Revocation::Token { expires_at, .. } => *expires_at,
            Revocation::Session { until, .. } | Revocation::User { until, .. } => *until,
        }
    }
}
