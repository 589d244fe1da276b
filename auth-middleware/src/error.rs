//! The one error type of `auth-middleware`, and its one mapping to HTTP.

use std::borrow::Cow;

use auth_core::TokenRejection;
use http::StatusCode;

/// Why a request was refused.
///
/// The `Display` text is for logs: it may name the failed check (an expired
/// token, a missing role). What the client sees comes from [`AuthError::status`],
/// [`AuthError::code`] and [`AuthError::description`], which never say which
/// token check failed. This `impl` is the only place where errors become HTTP.
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
    /// [`Requirement::Any`](crate::policy::Requirement::Any)).
    #[error("access denied by policy")]
    Forbidden,
    /// The route requires multi-factor authentication (`amr` without `mfa`).
    #[error("multi-factor authentication required")]
    InsufficientUserAuthentication,
    /// The route is not set up to authenticate requests: no [`AuthLayer`]
    /// runs in front of it, or the layer verifies another claims type than the
    /// extractor asks for. A programming error, so it answers 500.
    ///
    /// [`AuthLayer`]: crate::AuthLayer
    #[error("authentication is not configured: {0}")]
    NotConfigured(&'static str),
}

/// What is malformed in the request's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidRequest {
    /// More than one `Authorization` header.
    #[error("more than one Authorization header")]
    DuplicateAuthorization,
    /// The `Bearer` scheme with no token after it.
    #[error("empty Bearer credentials")]
    EmptyBearer,
}

impl AuthError {
    /// The response status: 400, 401, 403, or 500 for [`AuthError::NotConfigured`].
    ///
    /// Missing multi-factor authentication answers 403, as the reference app's
    /// contract demands; RFC 9470 §3 shows 401 for
    /// `insufficient_user_authentication`. A renderer that prefers 401 can say
    /// so (see [`RenderRejection`](crate::RenderRejection)).
    pub fn status(&self) -> StatusCode {
        self.wire().status
    }

    /// The error code of the JSON body, which is also the `error` attribute of
    /// the `WWW-Authenticate` challenge unless the token is simply missing.
    pub fn code(&self) -> &'static str {
        self.wire().code
    }

    /// The `error` attribute of the challenge: `None` when the request carried
    /// no token at all (RFC 6750 §3.1 asks for no error information then).
    pub fn challenge_code(&self) -> Option<&'static str> {
        match self {
            AuthError::MissingToken | AuthError::NotConfigured(_) => None,
            _ => Some(self.code()),
        }
    }

    /// A description safe to show a client; it never names the token check
    /// that failed.
    pub fn description(&self) -> &'static str {
        self.wire().description
    }

    /// Whether the response carries a `Bearer` challenge (every 400, 401 and 403).
    pub fn has_challenge(&self) -> bool {
        !matches!(self, AuthError::NotConfigured(_))
    }

    /// The scope to name in the challenge's `scope` attribute.
    pub fn scope(&self) -> Option<&str> {
        match self {
            AuthError::MissingScope(scope) => Some(scope),
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
            AuthError::InvalidToken(_) => Wire::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the access token is invalid",
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
                StatusCode::FORBIDDEN,
                "insufficient_user_authentication",
                "multi-factor authentication is required",
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
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_rfc_6750_and_the_contract() {
        let cases = [
            (AuthError::MissingToken, 401, None),
            (
                AuthError::InvalidRequest(InvalidRequest::DuplicateAuthorization),
                400,
                Some("invalid_request"),
            ),
            (
                AuthError::InvalidToken(TokenRejection::Expired),
                401,
                Some("invalid_token"),
            ),
            (AuthError::MissingRole("admin".into()), 403, Some("insufficient_scope")),
            (AuthError::MissingScope("read".into()), 403, Some("insufficient_scope")),
            (AuthError::Forbidden, 403, Some("insufficient_scope")),
            (
                AuthError::InsufficientUserAuthentication,
                403,
                Some("insufficient_user_authentication"),
            ),
            (AuthError::NotConfigured("no layer"), 500, None),
        ];
        for (error, status, challenge_code) in cases {
            assert_eq!(error.status().as_u16(), status, "{error}");
            assert_eq!(error.challenge_code(), challenge_code, "{error}");
        }
    }

    #[test]
    fn client_text_never_names_the_failed_check() {
        for reason in [TokenRejection::Expired, TokenRejection::BadSignature, TokenRejection::Revoked] {
            let error = AuthError::InvalidToken(reason);
            assert_eq!(error.description(), "the access token is invalid");
            assert!(!error.description().contains(reason.as_str()));
            assert!(error.to_string().contains(reason.as_str()), "logs do name it");
        }
    }
}
