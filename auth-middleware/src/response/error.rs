//! [`AuthError`]: why the layer refused a request, and its mapping to HTTP.

use std::borrow::Cow;

use auth_core::TokenRejection;
use http::StatusCode;

/// Why the layer (or a policy behind it) refused a request: the refusals of
/// RFC 6750 §3 and RFC 9470, about the credentials a request presents or
/// what they grant. (What the flows of [`AuthRoutes`](crate::AuthRoutes)
/// answer is an [`ApiError`](crate::ApiError).)
///
/// The `Display` text is for logs: it may name the failed check (an expired
/// token, a missing role). What the client sees comes from [`AuthError::status`],
/// [`AuthError::code`] and [`AuthError::description`], which never say which
/// token check failed. This `impl` is the only place where refusals become HTTP.
///
/// ```
/// use auth_middleware::AuthError;
/// use http::StatusCode;
///
/// let error = AuthError::MissingScope("billing:write".into());
/// assert_eq!(error.status(), StatusCode::FORBIDDEN);
/// assert_eq!(error.code(), "insufficient_scope");
/// assert_eq!(error.to_string(), "missing scope `billing:write`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The request carries no access token in any configured source.
    #[error("no access token in the request")]
    MissingToken,
    /// The credentials are malformed (RFC 6750 §3.1 `invalid_request`).
    #[error("invalid request: {0}")]
    InvalidRequest(InvalidRequest),
    /// The token failed verification; the [`TokenRejection`] says which check,
    /// for logs only.
    #[error("invalid access token: {0}")]
    InvalidToken(#[source] TokenRejection),
    /// The user lacks a role the route requires.
    #[error("missing role `{0}`")]
    MissingRole(Cow<'static, str>),
    /// The token lacks a scope the route requires.
    #[error("missing scope `{0}`")]
    MissingScope(Cow<'static, str>),
    /// The route requires something no token can satisfy (an empty
    /// [`Requirement::Any`](crate::extract::policy::Requirement::Any)).
    #[error("access denied by policy")]
    Forbidden,
    /// The route requires multi-factor authentication (`amr` without `mfa`).
    #[error("multi-factor authentication required")]
    InsufficientUserAuthentication,
    /// The route requires that the user authenticated within the last
    /// `max_age` seconds (the token's `auth_time`), and they did not: log in
    /// again (RFC 9470 `max_age`).
    #[error("authentication older than {max_age} s")]
    StaleAuthentication {
        /// The largest age of the authentication the route accepts, in seconds.
        max_age: u64,
    },
    /// The route is not set up to authenticate requests: no [`AuthLayer`]
    /// runs in front of it, or the layer verifies another claims type than the
    /// extractor asks for. A programming error, so it answers 500.
    ///
    /// [`AuthLayer`]: crate::AuthLayer
    #[error("authentication is not configured: {0}")]
    NotConfigured(&'static str),
    /// The `X-API-Key` header names no live key (unknown, malformed or revoked).
    #[error("invalid API key")]
    InvalidApiKey,
    /// The layer cannot decide now: its view of revoked tokens is older than
    /// the configured bound (the shared store is unreachable). Answers 503
    /// with `Retry-After: 1`; the request may be retried.
    #[error("the revocation view is stale")]
    Unavailable,
}

/// What is malformed in the request's credentials.
///
/// ```
/// use auth_middleware::{AuthError, InvalidRequest};
///
/// let error = AuthError::InvalidRequest(InvalidRequest::DuplicateAuthorization);
/// assert_eq!((error.status().as_u16(), error.code()), (400, "invalid_request"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidRequest {
    /// More than one `Authorization` header.
    #[error("more than one Authorization header")]
    DuplicateAuthorization,
    /// The `Bearer` scheme with no token after it.
    #[error("empty Bearer credentials")]
    EmptyBearer,
    /// More than one `X-API-Key` header.
    #[error("more than one X-API-Key header")]
    DuplicateApiKey,
}

impl AuthError {
    /// The response status: 400, 401, 403; 503 for [`AuthError::Unavailable`]
    /// and 500 for [`AuthError::NotConfigured`].
    ///
    /// Missing multi-factor authentication and a too old authentication
    /// answer 401 with `error="insufficient_user_authentication"`, as RFC 9470
    /// §3 says: the client can fix them by authenticating again.
    pub fn status(&self) -> StatusCode {
        self.wire().status
    }

    /// The error code of the JSON body, which is also the `error` attribute of
    /// the `WWW-Authenticate` challenge for the errors of bearer credentials.
    pub fn code(&self) -> &'static str {
        self.wire().code
    }

    /// The `error` attribute of the challenge: `None` when the request
    /// carried no token at all (RFC 6750 §3.1 asks for no error information
    /// then) and for a server that is not set up to authenticate.
    pub fn challenge_code(&self) -> Option<&'static str> {
        self.has_challenge()
            .then(|| self.code())
            .filter(|_| *self != AuthError::MissingToken)
    }

    /// A description safe to show a client; it never names the token check
    /// that failed, nor holds a secret.
    pub fn description(&self) -> &'static str {
        self.wire().description
    }

    /// Whether the response carries a `Bearer` challenge: every refusal about
    /// the credentials a request presents or what they grant (every 401 among
    /// them, RFC 9110 §15.5.2); not a server that cannot decide.
    pub fn has_challenge(&self) -> bool {
        !matches!(self, AuthError::NotConfigured(_) | AuthError::Unavailable)
    }

    /// The `Retry-After` value in seconds, for [`AuthError::Unavailable`].
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AuthError::Unavailable => Some(1),
            _ => None,
        }
    }

    /// The scope to name in the challenge's `scope` attribute.
    pub fn scope(&self) -> Option<&str> {
        match self {
            AuthError::MissingScope(scope) => Some(scope),
            _ => None,
        }
    }

    /// The challenge's `max_age` attribute (RFC 9470 §3): how recent the
    /// user's authentication must be, in seconds.
    pub fn max_age(&self) -> Option<u64> {
        match self {
            AuthError::StaleAuthentication { max_age } => Some(*max_age),
            _ => None,
        }
    }

    fn wire(&self) -> Wire {
        const DENIED: &str = "the access token does not grant access to this resource";
        match self {
            AuthError::MissingToken => Wire::new(
                StatusCode::UNAUTHORIZED,
                "missing_token",
                "an access token is required",
            ),
            AuthError::InvalidRequest(InvalidRequest::DuplicateAuthorization) => Wire::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the request has more than one Authorization header",
            ),
            AuthError::InvalidRequest(InvalidRequest::EmptyBearer) => Wire::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the Bearer credentials are empty",
            ),
            AuthError::InvalidRequest(InvalidRequest::DuplicateApiKey) => Wire::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the request has more than one X-API-Key header",
            ),
            AuthError::InvalidToken(_) => Wire::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the access token is invalid",
            ),
            AuthError::InvalidApiKey => Wire::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the API key is invalid",
            ),
            AuthError::MissingRole(_) | AuthError::Forbidden => {
                Wire::new(StatusCode::FORBIDDEN, "insufficient_scope", DENIED)
            }
            AuthError::MissingScope(_) => Wire::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                "the access token lacks a required scope",
            ),
            AuthError::InsufficientUserAuthentication => Wire::new(
                StatusCode::UNAUTHORIZED,
                "insufficient_user_authentication",
                "multi-factor authentication is required",
            ),
            AuthError::StaleAuthentication { .. } => Wire::new(
                StatusCode::UNAUTHORIZED,
                "insufficient_user_authentication",
                "a more recent authentication is required; sign in again",
            ),
            AuthError::Unavailable => Wire::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the service is temporarily unavailable; try again shortly",
            ),
            AuthError::NotConfigured(_) => Wire::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the server cannot authenticate this request",
            ),
        }
    }
}

struct Wire {
    status: StatusCode,
    code: &'static str,
    description: &'static str,
}

impl Wire {
    const fn new(status: StatusCode, code: &'static str, description: &'static str) -> Self {
        Wire {
            status,
            code,
            description,
        }
    }
}

#[cfg(test)]
mod tests;
