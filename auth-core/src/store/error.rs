//! [`StoreError`]: what a store answers besides its records.

use crate::random::RandomError;

/// What a store operation can answer besides its result.
///
/// [`StoreError::Unavailable`] carries a description the store wrote
/// itself, naming what failed (connection refused, timed out, a SQLSTATE and
/// constraint, a malformed record) but never a key, a value, a query or a
/// URL: the backends' own errors are not kept as a source on purpose,
/// because their messages can quote a username, a code hash or a password
/// in a URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store could not be reached or failed; the operation may be
    /// retried later (HTTP 503).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The username is already registered.
    #[error("username taken")]
    UsernameTaken,
    /// A record the operation needs does not exist.
    #[error("not found")]
    NotFound,
    /// The user already holds the most live API keys allowed.
    #[error("at most {max} live API keys per user")]
    TooManyApiKeys {
        /// The limit.
        max: usize,
    },
    /// A passkey with this credential id is already registered (to anyone).
    #[error("passkey already registered")]
    PasskeyTaken,
    /// The user already holds the most passkeys allowed.
    #[error("at most {max} passkeys per user")]
    TooManyPasskeys {
        /// The limit.
        max: usize,
    },
    /// The random number generator failed (for a new id).
    #[error(transparent)]
    Random(#[from] RandomError),
}
