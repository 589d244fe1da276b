//! [`PasswordError`]: why a password could not be hashed or checked.

use crate::random::RandomError;

use super::Argon2Params;

/// Why a password could not be hashed or checked. None of these messages
/// holds a password or a hash.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// The password is longer than the configured maximum (checked before hashing).
    #[error("password longer than {max} characters")]
    TooLong {
        /// The configured maximum, in characters.
        max: usize,
    },
    /// A new password is shorter than the configured minimum.
    #[error("password shorter than {min} characters")]
    TooShort {
        /// The configured minimum, in characters.
        min: usize,
    },
    /// Argon2 parameters weaker than every OWASP configuration.
    #[error(
        "m={}, t={}, p={} is below the OWASP minimum (m=19456 KiB, t=2, p=1 or an equivalent)",
        .0.memory_kib, .0.iterations, .0.parallelism
    )]
    BelowMinimum(Argon2Params),
    /// Argon2 parameters argon2 itself refuses.
    #[error("argon2 parameters refused")]
    Params(#[source] argon2::Error),
    /// A stored password hash that is not a valid argon2 PHC string, or whose
    /// cost parameters exceed what the hasher agrees to run.
    #[error("stored password hash is malformed")]
    MalformedHash,
    /// argon2 failed (for instance, it could not allocate its memory).
    #[error("password hashing failed")]
    Hashing(#[source] argon2::password_hash::Error),
    /// The hasher's queue is full: the check was refused at once rather than
    /// queued behind a flood (HTTP 503, retry shortly).
    #[error("the password hasher is saturated; retry shortly")]
    Overloaded,
    /// The hashing pool cannot run jobs: there is no Tokio runtime, it is
    /// shutting down, or the job panicked.
    #[error("password hashing pool unavailable: {0}")]
    Pool(&'static str),
    /// The random number generator failed (for a salt).
    #[error(transparent)]
    Random(#[from] RandomError),
}
