//! [`ApiError`]: how a flow's failure answers a JSON client.

use std::fmt;
use std::sync::Arc;

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use bytes::Bytes;
use http::StatusCode;

use crate::error::AuthError;
use crate::rejection::{DEFAULT_REALM, Rejection};

/// A failed request of a flow endpoint (or of an application handler built on
/// the flows), answered as `{"error": "...", "error_description": "..."}`.
///
/// It is the HTTP face of an [`auth_core::Error`]: the conversion classifies
/// the error as an [`AuthError`], whose status, code and description are the
/// crate's one mapping to HTTP, and [`Rejection::default_response`] renders
/// it, so a 401 carries `WWW-Authenticate: Bearer realm="…"`, a 429 or 503
/// carries `Retry-After`, and every answer has `Cache-Control: no-store`.
///
/// | `auth_core::Error` | status | `error` |
/// |---|---|---|
/// | `InvalidCredentials` | 401 | `invalid_credentials` |
/// | `TooManyAttempts` | 429 + `Retry-After` | `too_many_attempts` |
/// | `InvalidCode` | 401 | `invalid_code` |
/// | `InvalidGrant` | 401 | `invalid_grant` |
/// | `WeakPassword`, `PasswordTooShort`, `PasswordTooLong` | 422 | `weak_password` |
/// | `InvalidUsername` | 422 | `invalid_username` |
/// | `UsernameTaken` | 409 | `username_taken` |
/// | `MfaAlreadyEnrolled` | 409 | `mfa_already_enrolled` |
/// | `NotFound` | 404 | `not_found` |
/// | `StoreUnavailable` | 503 + `Retry-After: 1` | `temporarily_unavailable` |
/// | `InvalidToken` | 401 | `invalid_token` |
/// | anything else | 500 | `server_error` |
///
/// The cause is logged when the response is made (at `error` for a 500, at
/// `warn` for a 503, at `debug` otherwise); auth-core's messages never hold a
/// secret, and the description the client gets never says which check failed.
///
/// ```
/// use auth_middleware::ApiError;
/// use axum::response::IntoResponse;
///
/// async fn rename(/* … */) -> Result<&'static str, ApiError> {
///     Err(auth_core::Error::UsernameTaken)?
/// }
///
/// let error = ApiError::from(auth_core::Error::InvalidCredentials).realm("auth-demo");
/// let response = error.into_response();
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="auth-demo""#);
/// ```
pub struct ApiError {
    error: AuthError,
    realm: Arc<str>,
    cause: Option<auth_core::Error>,
}

impl ApiError {
    /// An error answered as `error` maps it.
    pub fn new(error: AuthError) -> Self {
        ApiError {
            error,
            realm: Arc::from(DEFAULT_REALM),
            cause: None,
        }
    }

    /// The realm named in the `WWW-Authenticate` challenge of a 401
    /// (`"api"` unless set).
    #[must_use]
    pub fn realm(mut self, realm: impl Into<Arc<str>>) -> Self {
        self.realm = realm.into();
        self
    }

    /// What the client is told.
    pub fn error(&self) -> &AuthError {
        &self.error
    }

    /// The response status.
    pub fn status(&self) -> StatusCode {
        self.error.status()
    }

    /// The auth-core error this came from, if any: for logs, never for clients.
    pub fn cause(&self) -> Option<&auth_core::Error> {
        self.cause.as_ref()
    }

    /// The response, framework-free (logs the cause, as
    /// [`IntoResponse`] does).
    pub fn to_response(&self) -> http::Response<Bytes> {
        self.log();
        Rejection::new(self.error.clone(), Arc::clone(&self.realm)).default_response()
    }

    fn log(&self) {
        let status = self.status();
        match &self.cause {
            Some(cause)
                if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE =>
            {
                tracing::error!(error = %cause, "request failed");
            }
            Some(cause) if status == StatusCode::SERVICE_UNAVAILABLE => {
                tracing::warn!(error = %cause, "request failed: temporarily unavailable");
            }
            Some(cause) => tracing::debug!(error = %cause, "request refused"),
            None => tracing::debug!(error = %self.error, "request refused"),
        }
    }
}

impl From<auth_core::Error> for ApiError {
    fn from(cause: auth_core::Error) -> Self {
        ApiError {
            error: AuthError::from(&cause),
            realm: Arc::from(DEFAULT_REALM),
            cause: Some(cause),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        ApiError::new(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.to_response().map(Body::from)
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("error", &self.error)
            .field("cause", &self.cause)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(cause) => cause.fmt(f),
            None => self.error.fmt(f),
        }
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.cause {
            Some(cause) => Some(cause),
            None => Some(&self.error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_core::Error as Core;
    use auth_core::password::PasswordProblem;
    use http::header::{RETRY_AFTER, WWW_AUTHENTICATE};

    fn answer(error: Core) -> (u16, String, Option<String>, Option<String>) {
        let response = ApiError::from(error).realm("demo").to_response();
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &http::HeaderValue| v.to_str().unwrap().to_owned())
        };
        (
            response.status().as_u16(),
            body["error"].as_str().unwrap().to_owned(),
            header(WWW_AUTHENTICATE),
            header(RETRY_AFTER),
        )
    }

    #[test]
    fn the_contract_table() {
        let challenge = Some(r#"Bearer realm="demo""#.to_owned());
        let cases = [
            (
                Core::InvalidCredentials,
                401,
                "invalid_credentials",
                challenge.clone(),
                None,
            ),
            (
                Core::TooManyAttempts { retry_after: 42 },
                429,
                "too_many_attempts",
                None,
                Some("42"),
            ),
            (
                Core::TooManyAttempts { retry_after: 0 },
                429,
                "too_many_attempts",
                None,
                Some("1"),
            ),
            (
                Core::InvalidCode,
                401,
                "invalid_code",
                challenge.clone(),
                None,
            ),
            (
                Core::InvalidGrant,
                401,
                "invalid_grant",
                challenge.clone(),
                None,
            ),
            (
                Core::WeakPassword(PasswordProblem::SameAsUsername),
                422,
                "weak_password",
                None,
                None,
            ),
            (
                Core::PasswordTooLong { max: 128 },
                422,
                "weak_password",
                None,
                None,
            ),
            (Core::InvalidUsername, 422, "invalid_username", None, None),
            (Core::UsernameTaken, 409, "username_taken", None, None),
            (
                Core::MfaAlreadyEnrolled,
                409,
                "mfa_already_enrolled",
                None,
                None,
            ),
            (Core::NotFound, 404, "not_found", None, None),
            (
                Core::StoreUnavailable("connection refused".into()),
                503,
                "temporarily_unavailable",
                None,
                Some("1"),
            ),
            (Core::Random, 500, "server_error", None, None),
            (Core::HashingPool, 500, "server_error", None, None),
        ];
        for (error, status, code, www, retry) in cases {
            let what = error.to_string();
            assert_eq!(
                answer(error),
                (
                    status,
                    code.to_owned(),
                    www.clone(),
                    retry.map(str::to_owned)
                ),
                "{what}"
            );
        }
    }

    #[test]
    fn descriptions_hold_no_cause() {
        let response =
            ApiError::from(Core::StoreUnavailable("redis://secret@host".into())).to_response();
        let body = std::str::from_utf8(response.body()).unwrap();
        assert!(!body.contains("redis"), "{body}");
    }

    #[test]
    fn the_confirmation_code_is_the_route_s_422() {
        let response = ApiError::new(AuthError::InvalidConfirmationCode).to_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.headers().get(WWW_AUTHENTICATE).is_none());
    }
}
