//! Why a token was refused.

use std::fmt;

/// The check a token failed, for logs and metrics.
///
/// HTTP layers show none of this to the client (RFC 6750 §3.1 only asks for
/// `invalid_token`); it is here so that an operator can tell an expired token
/// from a forged one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenRejection {
    /// Longer than the configured maximum (8 KiB by default).
    Oversized,
    /// Not three base64url segments separated by dots.
    Malformed,
    /// The header is not base64url-encoded JSON with a string `alg`.
    MalformedHeader,
    /// `alg` names no supported algorithm (`none`, in any casing, included).
    UnsupportedAlgorithm,
    /// `alg` is supported but is not the algorithm of the key named by `kid`.
    AlgorithmMismatch,
    /// `typ` is missing or is not `at+jwt` / `application/at+jwt` (RFC 9068 §4).
    WrongType,
    /// The header lists `crit` extensions; this verifier understands none (RFC 7515 §4.1.11).
    CriticalHeader,
    /// `kid` names no current key (or is missing while several keys verify).
    UnknownKey,
    /// The signature does not verify under the key.
    BadSignature,
    /// The claims are not base64url-encoded JSON with the required claims.
    MalformedClaims,
    /// `exp` has passed (beyond the leeway).
    Expired,
    /// `nbf` or `iat` lies in the future (beyond the leeway).
    NotYetValid,
    /// The token's lifetime (`exp` − `iat`) is longer than the verifier's
    /// maximum: revocations are only kept for that long.
    LifetimeTooLong,
    /// `iss` is not the expected issuer.
    WrongIssuer,
    /// `aud` does not contain the expected audience.
    WrongAudience,
    /// The token's `jti`, its session (`sid`) or its user has been revoked.
    Revoked,
    /// The revocation view has not been known complete within the configured
    /// maximum staleness (the shared store is unreachable): the token cannot
    /// be vouched for, so it is refused (fail closed).
    RevocationsStale,
}

impl TokenRejection {
    /// A short, stable name for logs and metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenRejection::Oversized => "oversized",
            TokenRejection::Malformed => "malformed",
            TokenRejection::MalformedHeader => "malformed_header",
            TokenRejection::UnsupportedAlgorithm => "unsupported_algorithm",
            TokenRejection::AlgorithmMismatch => "algorithm_mismatch",
            TokenRejection::WrongType => "wrong_type",
            TokenRejection::CriticalHeader => "critical_header",
            TokenRejection::UnknownKey => "unknown_key",
            TokenRejection::BadSignature => "bad_signature",
            TokenRejection::MalformedClaims => "malformed_claims",
            TokenRejection::Expired => "expired",
            TokenRejection::NotYetValid => "not_yet_valid",
            TokenRejection::LifetimeTooLong => "lifetime_too_long",
            TokenRejection::WrongIssuer => "wrong_issuer",
            TokenRejection::WrongAudience => "wrong_audience",
            TokenRejection::Revoked => "revoked",
            TokenRejection::RevocationsStale => "revocations_stale",
        }
    }
}

impl fmt::Display for TokenRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for TokenRejection {}
