//! The one error type of `auth-core`.

use crate::keys::Algorithm;
use crate::token::TokenRejection;

/// Everything that can go wrong in `auth-core`.
///
/// Messages name the failed check for logs; they never contain a token, a
/// secret or a password. HTTP layers map these to responses in one place (for
/// instance, every [`Error::InvalidToken`] becomes a bare `invalid_token`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A token failed verification; the reason says which check.
    #[error("invalid token: {0}")]
    InvalidToken(TokenRejection),
    /// An algorithm name this crate does not support (or `none`).
    #[error("unsupported algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// Key material that cannot be used as given.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// The crypto backend could not generate a key.
    #[error("could not generate a {0} key")]
    KeyGeneration(Algorithm),
    /// Two keys in one set share a `kid`.
    #[error("a key with this kid is already in the set")]
    DuplicateKid,
    /// No key in the set has the given `kid`.
    #[error("no key with this kid")]
    UnknownKid,
    /// The active signing key cannot be retired.
    #[error("the active signing key cannot be retired; rotate first")]
    RetireActiveKey,
    /// The key set has no signing key (it was built to verify only).
    #[error("the key set has no signing key")]
    NoSigningKey,
    /// Signing failed in the crypto backend.
    #[error("signing failed")]
    Signing,
    /// The operating system's random source failed.
    #[error("the random number generator failed")]
    Random,
    /// Claims could not be serialized into a token.
    #[error("claims could not be serialized: {0}")]
    Claims(#[source] serde_json::Error),
    /// Reading or writing key files failed.
    #[error("key file {path}: {source}")]
    KeyFile {
        /// The file or folder.
        path: std::path::PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A PEM document or JWK that cannot be parsed.
    #[error("malformed key encoding: {0}")]
    KeyEncoding(String),
    /// The password is longer than the configured maximum (checked before hashing).
    #[error("password longer than {max} characters")]
    PasswordTooLong {
        /// The configured maximum, in characters.
        max: usize,
    },
    /// A stored password hash that is not a valid PHC string.
    #[error("stored password hash is malformed")]
    MalformedHash,
    /// The password hasher failed (for instance, it could not allocate its memory).
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// The hashing pool is shut down or its worker panicked.
    #[error("password hashing pool unavailable")]
    HashingPool,
}

impl From<TokenRejection> for Error {
    fn from(reason: TokenRejection) -> Self {
        Error::InvalidToken(reason)
    }
}
