//! [`MfaError`]: why a second factor could not be set up or checked.

use crate::random::RandomError;
use crate::store::StoreError;

/// Why a second factor could not be set up, delivered or checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MfaError {
    /// TOTP cannot be set up as configured or for this account: the reason
    /// names the rule (digits, step, issuer or account name, secret length).
    #[error("TOTP cannot be set up: {0}")]
    Setup(&'static str),
    /// The application's [`CodeSender`](super::CodeSender) could not deliver
    /// a one-time code; its own error, which must not hold the code.
    #[error("the one-time code could not be sent")]
    Delivery(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A secret could not be sealed.
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
    /// The store of single-use marks and codes failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}
