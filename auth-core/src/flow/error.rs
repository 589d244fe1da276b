//! [`FlowError`]: why a flow refused or failed.

use crate::keys::KeyError;
use crate::mfa::MfaError;
use crate::password::{PasswordError, PasswordProblem};
use crate::random::RandomError;
use crate::store::StoreError;
use crate::token::TokenError;

/// Why a flow of [`Authenticator`](super::Authenticator) refused a request
/// or could not complete it.
///
/// The first group is the client's doing, each with its own answer (the
/// routes of `auth-middleware` map them to HTTP in one place); the rest wrap
/// the failure of a part the flow relies on, keeping it as the source. No
/// message holds a password, code or token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// Wrong username or password (deliberately not saying which).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many attempts for the account or the client; try again later.
    #[error("too many attempts; retry after {retry_after} s")]
    TooManyAttempts {
        /// Seconds until the throttling window ends.
        retry_after: u64,
    },
    /// A wrong, reused or expired second-factor code or `mfa_token`.
    #[error("invalid code")]
    InvalidCode,
    /// A missing, unknown, expired, reused or revoked refresh token (RFC 6749 §5.2).
    #[error("invalid grant")]
    InvalidGrant,
    /// A second factor is already enrolled and confirmed for this user.
    #[error("a second factor is already enrolled")]
    MfaAlreadyEnrolled,
    /// A username the RFC 8265 profile refuses, or longer than 64 characters.
    #[error("invalid username")]
    InvalidUsername,
    /// A new password breaks the password policy.
    #[error("weak password: {0}")]
    WeakPassword(PasswordProblem),
    /// The username is already registered.
    #[error("username taken")]
    UsernameTaken,
    /// A record the request names does not exist (or is someone else's).
    #[error("not found")]
    NotFound,
    /// The user already holds the most live API keys allowed.
    #[error("at most {max} live API keys per user")]
    TooManyApiKeys {
        /// The limit.
        max: usize,
    },
    /// A passkey registration that does not verify: no pending registration
    /// for this user, a spent or expired challenge, another origin or RP id,
    /// no user verification, a credential already registered.
    #[error("the passkey does not verify")]
    InvalidPasskey,
    /// The user already holds the most passkeys allowed.
    #[error("at most {max} passkeys per user")]
    TooManyPasskeys {
        /// The limit.
        max: usize,
    },
    /// A passkey sign-in whose assertion did not verify (answered as a
    /// refused password is: HTTP 401 `invalid_credentials`).
    #[error("the passkey was not accepted")]
    PasskeyRefused,
    /// No relying party is configured: passkeys are not offered.
    #[error("passkeys are not enabled")]
    PasskeysDisabled,
    /// A passkey ceremony could not be started (the relying-party library
    /// refused its own options).
    #[error("a passkey ceremony could not be started")]
    PasskeyCeremony,
    /// The password hasher's queue is full: refused at once (HTTP 503).
    #[error("the password hasher is saturated; retry shortly")]
    Overloaded,
    /// The store failed or could not be reached (HTTP 503).
    #[error("the store failed")]
    Store(#[source] StoreError),
    /// The password hasher failed.
    #[error("password hashing failed")]
    Password(#[source] PasswordError),
    /// An access token could not be issued.
    #[error("the token could not be issued")]
    Token(#[from] TokenError),
    /// The keys failed (signing an `mfa_token`, sealing a secret).
    #[error("the keys failed")]
    Key(#[from] KeyError),
    /// A second factor could not be set up or sent.
    #[error("the second factor failed")]
    Mfa(#[source] MfaError),
    /// The random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

impl FlowError {
    /// Whether the store (or the hasher in front of it) is what failed, so
    /// that the request may be retried shortly (HTTP 503).
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            FlowError::Overloaded | FlowError::Store(StoreError::Unavailable(_))
        )
    }
}

impl From<StoreError> for FlowError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::UsernameTaken => FlowError::UsernameTaken,
            StoreError::NotFound => FlowError::NotFound,
            StoreError::TooManyApiKeys { max } => FlowError::TooManyApiKeys { max },
            StoreError::TooManyPasskeys { max } => FlowError::TooManyPasskeys { max },
            StoreError::PasskeyTaken => FlowError::InvalidPasskey,
            other => FlowError::Store(other),
        }
    }
}

impl From<PasswordError> for FlowError {
    fn from(error: PasswordError) -> Self {
        match error {
            PasswordError::Overloaded => FlowError::Overloaded,
            PasswordError::TooShort { min } => {
                FlowError::WeakPassword(PasswordProblem::TooShort { min })
            }
            PasswordError::TooLong { max } => {
                FlowError::WeakPassword(PasswordProblem::TooLong { max })
            }
            other => FlowError::Password(other),
        }
    }
}

impl From<MfaError> for FlowError {
    fn from(error: MfaError) -> Self {
        match error {
            MfaError::Store(store) => FlowError::from(store),
            other => FlowError::Mfa(other),
        }
    }
}
