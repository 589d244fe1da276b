//! [`ExternalError`]: why a login with another provider failed.

use crate::flow::FlowError;
use crate::outbound::EndpointError;
use crate::random::RandomError;
use crate::store::StoreError;

/// Why a login with an external provider could not start or complete.
///
/// Messages never hold a code, a token or a client secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExternalError {
    /// A callback that cannot be accepted: no login in progress for its
    /// `state` in this browser (missing, mismatched, expired or already
    /// used), a code the provider refused, or an id_token that does not
    /// verify. The reason names the check, for logs (HTTP 400).
    #[error("external login refused: {0}")]
    Refused(&'static str),
    /// The provider answered the login with an error (RFC 6749 §4.1.2.1,
    /// e.g. `access_denied`): its code, one of the registered ones (HTTP 400
    /// with this code).
    #[error("the provider returned {0}")]
    ProviderDenied(&'static str),
    /// The provider could not be reached, or answered with something that is
    /// not OpenID Connect (HTTP 503 at login; a start-up error at discovery).
    #[error("identity provider unavailable: {what}")]
    Unavailable {
        /// What failed (discovery, the token request, …).
        what: String,
        /// The HTTP or protocol error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A URL of the provider we refuse to call (see `outbound`).
    #[error("the provider's {what} is refused")]
    Endpoint {
        /// Which of its URLs.
        what: &'static str,
        /// Why.
        #[source]
        source: EndpointError,
    },
    /// A provider name that cannot be a path segment and a cookie name: 1 to
    /// 32 of `a-z`, `0-9`, `-`, `_`.
    #[error("a provider name is 1 to 32 of a-z, 0-9, '-' and '_'")]
    InvalidName,
    /// An external identity's account name is held by an account that logs
    /// in with a password: refused rather than merged.
    #[error("the external identity conflicts with an existing account")]
    AccountConflict,
    /// The session could not be started after the provider vouched for the user.
    #[error(transparent)]
    Flow(#[from] FlowError),
    /// The random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

impl ExternalError {
    /// [`ExternalError::Unavailable`] with `what` failed and its cause.
    pub(crate) fn unavailable(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        ExternalError::Unavailable {
            what: what.into(),
            source: Some(source.into()),
        }
    }
}

impl From<StoreError> for ExternalError {
    fn from(error: StoreError) -> Self {
        ExternalError::Flow(FlowError::from(error))
    }
}

/// A provider's name becomes a path segment and part of a cookie name.
pub(super) fn check_name(name: &str) -> Result<(), ExternalError> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ExternalError::InvalidName)
    }
}

/// `url` as a provider endpoint we agree to call.
pub(super) fn check_endpoint(what: &'static str, url: &url::Url) -> Result<(), ExternalError> {
    crate::outbound::check_endpoint(url).map_err(|source| ExternalError::Endpoint { what, source })
}

/// The client for the provider's endpoints (no redirects, 10 s per call).
pub(super) fn http_client() -> Result<reqwest::Client, ExternalError> {
    crate::outbound::client(std::time::Duration::from_secs(10)).map_err(|source| {
        ExternalError::Endpoint {
            what: "HTTP client",
            source,
        }
    })
}
