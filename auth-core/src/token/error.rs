//! [`TokenError`]: why a token could not be issued.

use crate::keys::KeyError;
use crate::random::RandomError;

/// Why an access token could not be issued. (Why a token was *refused* is a
/// [`TokenRejection`](super::TokenRejection).)
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The keys could not sign: no signing key in the set, or the crypto
    /// backend failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The claims could not be serialized.
    #[error("the claims could not be serialized")]
    Claims(#[source] serde_json::Error),
    /// An application claim has the name of a claim the issuer writes itself.
    #[error("the application claim {0:?} has the name of a registered claim")]
    ReservedClaim(&'static str),
    /// The random number generator failed (for a `jti`).
    #[error(transparent)]
    Random(#[from] RandomError),
}
