//! The signature algorithms a key can be bound to.

use std::fmt;
use std::str::FromStr;

use super::KeyError;

/// A JWS signature algorithm (RFC 7518, RFC 8037) that a key is bound to.
///
/// The algorithm always comes from the key, never from a token's header: a
/// token whose `alg` differs from its key's algorithm does not verify
/// (RFC 8725 §3.1). `none` is not representable.
///
/// ```
/// use auth_core::Algorithm;
///
/// let alg: Algorithm = "EdDSA".parse().unwrap();
/// assert_eq!(alg, Algorithm::EdDSA);
/// assert!("none".parse::<Algorithm>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// Ed25519 signatures (RFC 8037), the recommended default.
    EdDSA,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (2048-bit keys and larger).
    RS256,
    /// HMAC with SHA-256: a shared secret, for issuers and verifiers that trust each other.
    HS256,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Algorithm; 4] = [
        Algorithm::EdDSA,
        Algorithm::ES256,
        Algorithm::RS256,
        Algorithm::HS256,
    ];

    /// The `alg` header value (RFC 7518 §3.1).
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::EdDSA => "EdDSA",
            Algorithm::ES256 => "ES256",
            Algorithm::RS256 => "RS256",
            Algorithm::HS256 => "HS256",
        }
    }

    /// Matches an `alg` header value exactly (the names are case-sensitive, RFC 7515 §4.1.1).
    pub(crate) fn from_header(alg: &str) -> Option<Self> {
        match alg {
            "EdDSA" => Some(Algorithm::EdDSA),
            "ES256" => Some(Algorithm::ES256),
            "RS256" => Some(Algorithm::RS256),
            "HS256" => Some(Algorithm::HS256),
            _ => None,
        }
    }

    /// Whether this is a shared-secret algorithm (no public key to publish).
    pub const fn is_symmetric(self) -> bool {
        matches!(self, Algorithm::HS256)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::from_header(s)
            .ok_or_else(|| KeyError::UnsupportedAlgorithm(s.chars().take(16).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_none_is_refused() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.as_str().parse::<Algorithm>().unwrap(), alg);
        }
        for bad in ["none", "None", "NONE", "nOnE", "eddsa", "HS384", ""] {
            assert!(bad.parse::<Algorithm>().is_err(), "{bad} parsed");
        }
    }
}
