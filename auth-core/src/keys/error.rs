//! [`KeyError`]: what can go wrong with keys.

use std::path::PathBuf;

use super::Algorithm;
use crate::random::RandomError;

/// Why a key could not be made, read, written or used.
///
/// Messages name the rule or the file at fault; they never hold key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// An algorithm name this crate does not support (or `none`); the name
    /// as given, cut to 16 characters.
    #[error("unsupported algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// Key material that cannot be used as given; the reason names the rule.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// The crypto backend could not generate a key.
    #[error("could not generate a {0} key")]
    Generation(Algorithm),
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
    /// A PEM document or JWK that breaks a rule of its format; the reason
    /// names it. The parsers' own errors are not kept as a source on
    /// purpose: they can quote pieces of the input, which may be a private key.
    #[error("malformed key encoding: {0}")]
    Encoding(String),
    /// Reading or writing key files failed.
    #[error("key file {path}: {source}")]
    File {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A key folder holds a signing key of another algorithm than the one asked for.
    #[error("the key folder's signing key is {found}, not the configured {expected}")]
    FolderAlgorithm {
        /// The algorithm asked for.
        expected: Algorithm,
        /// The algorithm of the key in the folder.
        found: Algorithm,
    },
    /// The random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}
