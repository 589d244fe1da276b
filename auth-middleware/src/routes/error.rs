//! [`ApiError`]: how a flow's failure answers a JSON client — the one place
//! where the errors of the flows become HTTP.

use std::fmt;
use std::sync::Arc;

use auth_core::FlowError;
use auth_core::password::PasswordProblem;
use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use bytes::Bytes;
use http::StatusCode;

use crate::response::error::AuthError;
use crate::response::rejection::{DEFAULT_REALM, Rejection, json_response, realm_challenge};

/// A failed request of a flow endpoint (or of an application handler built on
/// the flows), answered as `{"error": "...", "error_description": "..."}`.
///
/// It is the HTTP face of a [`FlowError`] (and of the refusals, body errors
/// and external-login errors of the routes): the conversion classifies it as
/// an [`ApiErrorKind`], whose status, code and description are mapped here
/// and only here. A 401 carries `WWW-Authenticate: Bearer realm="…"`, a 429
/// or 503 carries `Retry-After`, and every answer has `Cache-Control: no-store`.
///
/// | `FlowError` | status | `error` |
/// |---|---|---|
/// | `InvalidCredentials` | 401 | `invalid_credentials` |
/// | `TooManyAttempts` | 429 + `Retry-After` | `too_many_attempts` |
/// | `InvalidCode` | 401 | `invalid_code` |
/// | `InvalidGrant` | 401 | `invalid_grant` |
/// | `WeakPassword` | 422 | `weak_password` |
/// | `InvalidUsername` | 422 | `invalid_username` |
/// | `UsernameTaken` | 409 | `username_taken` |
/// | `TooManyApiKeys` | 409 | `too_many_api_keys` |
/// | `MfaAlreadyEnrolled` | 409 | `mfa_already_enrolled` |
/// | `NotFound` | 404 | `not_found` |
/// | `Overloaded`, a store that is unavailable | 503 + `Retry-After: 1` | `temporarily_unavailable` |
/// | anything else | 500 | `server_error` |
///
/// The cause is logged when the response is made (at `error` for a 500, at
/// `warn` for a 503, at `debug` otherwise); the errors of auth-core never
/// hold a secret, and the description the client gets never says which
/// check failed.
///
/// ```
/// use auth_middleware::ApiError;
/// use axum::response::IntoResponse;
///
/// async fn rename(/* … */) -> Result<&'static str, ApiError> {
///     Err(auth_core::FlowError::UsernameTaken)?
/// }
///
/// let error = ApiError::from(auth_core::FlowError::InvalidCredentials).realm("auth-demo");
/// let response = error.into_response();
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="auth-demo""#);
/// ```
pub struct ApiError {
    kind: ApiErrorKind,
    realm: Arc<str>,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// What an [`ApiError`] tells the client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// A refusal of the layer or of a policy (a missing token, a login that
    /// is not recent enough): rendered as the layer renders it.
    Refusal(AuthError),
    /// Wrong username or password; deliberately not saying which.
    InvalidCredentials,
    /// Too many attempts for the account or the client address.
    TooManyAttempts {
        /// Seconds until the throttling window ends (the `Retry-After` value).
        retry_after: u64,
    },
    /// A wrong, reused or expired second-factor code or `mfa_token`, at login.
    InvalidCode,
    /// A wrong first code when confirming TOTP enrolment: the request is
    /// understood but its content refused, so 422 rather than 401.
    InvalidConfirmationCode,
    /// A missing, unknown, expired, reused or revoked refresh token (RFC 6749 §5.2).
    InvalidGrant,
    /// A new password breaks the password policy.
    WeakPassword(PasswordProblem),
    /// A username the RFC 8265 profile refuses.
    InvalidUsername,
    /// The username is already registered.
    UsernameTaken,
    /// The user holds the most API keys allowed.
    TooManyApiKeys,
    /// A second factor is already enrolled.
    MfaAlreadyEnrolled,
    /// The record named by the request does not exist (or is someone else's).
    NotFound,
    /// The store (or the password hasher in front of it) cannot serve now.
    Unavailable,
    /// A server-side failure the client can do nothing about.
    Internal,
    /// The request body is not syntactically valid JSON.
    MalformedBody,
    /// The JSON body lacks a field or has a field of the wrong type.
    UnprocessableBody,
    /// The JSON body is valid JSON but not an object.
    NotAnObject,
    /// The request body is larger than the route accepts.
    PayloadTooLarge,
    /// The request has no `Content-Type: application/json`.
    UnsupportedMediaType,
    /// The request comes from another origin than the application's own.
    CrossOrigin,
    /// An external login's callback matches no login in progress, or the
    /// provider's answer does not verify.
    ExternalLogin,
    /// The provider answered the login with this error code (RFC 6749 §4.1.2.1).
    ProviderDenied(&'static str),
    /// The external identity's account name is held by an account with a password.
    AccountConflict,
    /// A passkey registration whose attestation does not verify (422 `invalid_passkey`).
    InvalidPasskey,
    /// The user holds the most passkeys allowed (409 `too_many_passkeys`).
    TooManyPasskeys,
    /// A `credential` that is not a WebAuthn response in its JSON form (400
    /// `invalid_request`).
    MalformedCredential,
    /// A passkey sign-in refused (401 `invalid_credentials`, as a refused
    /// password, with words for a passkey).
    PasskeyRefused,
}

impl ApiError {
    /// An error answered as `kind` maps it.
    pub fn new(kind: ApiErrorKind) -> Self {
        ApiError {
            kind,
            realm: Arc::from(DEFAULT_REALM),
            cause: None,
        }
    }

    /// `kind`, keeping what caused it for the log.
    fn caused(kind: ApiErrorKind, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError {
            cause: Some(Box::new(cause)),
            ..ApiError::new(kind)
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
    pub fn kind(&self) -> &ApiErrorKind {
        &self.kind
    }

    /// The response status.
    pub fn status(&self) -> StatusCode {
        match &self.kind {
            ApiErrorKind::Refusal(refusal) => refusal.status(),
            kind => kind.wire().0,
        }
    }

    /// The response, framework-free (logs the cause, as [`IntoResponse`] does).
    pub fn to_response(&self) -> http::Response<Bytes> {
        self.log();
        let kind = match &self.kind {
            ApiErrorKind::Refusal(refusal) => {
                return Rejection::new(refusal.clone(), Arc::clone(&self.realm)).default_response();
            }
            kind => kind,
        };
        let (status, code, description) = kind.wire();
        let challenge = (status == StatusCode::UNAUTHORIZED).then(|| realm_challenge(&self.realm));
        let retry_after = match kind {
            ApiErrorKind::TooManyAttempts { retry_after } => Some((*retry_after).max(1)),
            ApiErrorKind::Unavailable => Some(1),
            _ => None,
        };
        json_response(status, code, description, challenge.flatten(), retry_after)
    }

    fn log(&self) {
        let status = self.status();
        let cause: &dyn fmt::Display = match &self.cause {
            Some(cause) => cause,
            None => &self.kind,
        };
        if status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(error = %cause, "request failed: temporarily unavailable");
        } else if status.is_server_error() {
            tracing::error!(error = %cause, "request failed");
        } else {
            tracing::debug!(error = %cause, "request refused");
        }
    }
}

impl ApiErrorKind {
    /// Status, code and description: the flows' one mapping to HTTP.
    fn wire(&self) -> (StatusCode, &'static str, &'static str) {
        const BAD_CODE: &str = "the code is wrong, already used, or expired";
        match self {
            ApiErrorKind::Refusal(refusal) => {
                (refusal.status(), refusal.code(), refusal.description())
            }
            ApiErrorKind::InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "the username or password is incorrect",
            ),
            ApiErrorKind::TooManyAttempts { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                "too many attempts; try again later",
            ),
            ApiErrorKind::InvalidCode => (StatusCode::UNAUTHORIZED, "invalid_code", BAD_CODE),
            ApiErrorKind::InvalidConfirmationCode => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_code", BAD_CODE)
            }
            ApiErrorKind::InvalidGrant => (
                StatusCode::UNAUTHORIZED,
                "invalid_grant",
                "the refresh token is invalid",
            ),
            ApiErrorKind::WeakPassword(problem) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "weak_password",
                match problem {
                    PasswordProblem::TooShort { .. } => "the password is too short",
                    PasswordProblem::TooLong { .. } => "the password is too long",
                    PasswordProblem::SameAsUsername => "the password must not be the username",
                    _ => "the password is not acceptable",
                },
            ),
            ApiErrorKind::InvalidUsername => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_username",
                "the username must have 1 to 64 characters, without spaces, control, \
                 zero-width or direction-changing characters",
            ),
            ApiErrorKind::UsernameTaken => (
                StatusCode::CONFLICT,
                "username_taken",
                "the username is already taken",
            ),
            ApiErrorKind::TooManyApiKeys => (
                StatusCode::CONFLICT,
                "too_many_api_keys",
                "the user holds the most API keys allowed; delete one first",
            ),
            ApiErrorKind::MfaAlreadyEnrolled => (
                StatusCode::CONFLICT,
                "mfa_already_enrolled",
                "a second factor is already enrolled",
            ),
            ApiErrorKind::NotFound => (StatusCode::NOT_FOUND, "not_found", "no such resource"),
            ApiErrorKind::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the service is temporarily unavailable; try again shortly",
            ),
            ApiErrorKind::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the server could not complete the request",
            ),
            ApiErrorKind::MalformedBody => (
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the request body is not valid JSON",
            ),
            ApiErrorKind::UnprocessableBody => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "the request body lacks a field or has a field of the wrong type",
            ),
            ApiErrorKind::NotAnObject => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "the request body must be a JSON object",
            ),
            ApiErrorKind::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large",
            ),
            ApiErrorKind::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the request body must be sent as Content-Type: application/json",
            ),
            ApiErrorKind::CrossOrigin => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "cross-origin requests are not allowed",
            ),
            ApiErrorKind::ExternalLogin => (
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the external login could not be completed; start it again",
            ),
            ApiErrorKind::ProviderDenied(code) => (
                StatusCode::BAD_REQUEST,
                code,
                "the identity provider did not authenticate the user",
            ),
            ApiErrorKind::AccountConflict => (
                StatusCode::CONFLICT,
                "account_conflict",
                "the external identity conflicts with an existing account",
            ),
            ApiErrorKind::InvalidPasskey => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_passkey",
                "the passkey could not be verified; start the registration again",
            ),
            ApiErrorKind::TooManyPasskeys => (
                StatusCode::CONFLICT,
                "too_many_passkeys",
                "the user holds the most passkeys allowed; delete one first",
            ),
            ApiErrorKind::PasskeyRefused => (
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "the passkey was not accepted",
            ),
            ApiErrorKind::MalformedCredential => (
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the credential is not a WebAuthn response in its JSON form",
            ),
        }
    }
}

impl fmt::Display for ApiErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiErrorKind::Refusal(refusal) => refusal.fmt(f),
            kind => f.write_str(kind.wire().1),
        }
    }
}

/// The classification of every [`FlowError`]: what is not the client's doing
/// is a 503 when it may pass, a 500 otherwise.
impl From<&FlowError> for ApiErrorKind {
    fn from(error: &FlowError) -> Self {
        match error {
            FlowError::InvalidCredentials => ApiErrorKind::InvalidCredentials,
            FlowError::TooManyAttempts { retry_after } => ApiErrorKind::TooManyAttempts {
                retry_after: (*retry_after).max(1),
            },
            FlowError::InvalidCode => ApiErrorKind::InvalidCode,
            FlowError::InvalidGrant => ApiErrorKind::InvalidGrant,
            FlowError::WeakPassword(problem) => ApiErrorKind::WeakPassword(*problem),
            FlowError::InvalidUsername => ApiErrorKind::InvalidUsername,
            FlowError::UsernameTaken => ApiErrorKind::UsernameTaken,
            FlowError::TooManyApiKeys { .. } => ApiErrorKind::TooManyApiKeys,
            FlowError::MfaAlreadyEnrolled => ApiErrorKind::MfaAlreadyEnrolled,
            FlowError::NotFound => ApiErrorKind::NotFound,
            FlowError::InvalidPasskey => ApiErrorKind::InvalidPasskey,
            FlowError::PasskeyRefused => ApiErrorKind::PasskeyRefused,
            FlowError::TooManyPasskeys { .. } => ApiErrorKind::TooManyPasskeys,
            // Passkeys not offered: the routes do not exist.
            FlowError::PasskeysDisabled => ApiErrorKind::NotFound,
            error if error.is_temporary() => ApiErrorKind::Unavailable,
            _ => ApiErrorKind::Internal,
        }
    }
}

impl From<FlowError> for ApiError {
    fn from(error: FlowError) -> Self {
        ApiError::caused(ApiErrorKind::from(&error), error)
    }
}

/// A store error met outside the flows (reading a user for a page of the
/// app's own), answered as the flows answer it.
impl From<auth_core::store::StoreError> for ApiError {
    fn from(error: auth_core::store::StoreError) -> Self {
        ApiError::from(FlowError::from(error))
    }
}

#[cfg(feature = "oidc")]
impl From<auth_core::external::ExternalError> for ApiError {
    fn from(error: auth_core::external::ExternalError) -> Self {
        use auth_core::external::ExternalError as External;
        let kind = match &error {
            External::Refused(_) => ApiErrorKind::ExternalLogin,
            External::ProviderDenied(code) => ApiErrorKind::ProviderDenied(code),
            External::AccountConflict => ApiErrorKind::AccountConflict,
            External::Unavailable { .. } => ApiErrorKind::Unavailable,
            External::Flow(flow) => ApiErrorKind::from(flow),
            _ => ApiErrorKind::Internal,
        };
        ApiError::caused(kind, error)
    }
}

impl From<AuthError> for ApiError {
    fn from(refusal: AuthError) -> Self {
        ApiError::new(ApiErrorKind::Refusal(refusal))
    }
}

impl From<ApiErrorKind> for ApiError {
    fn from(kind: ApiErrorKind) -> Self {
        ApiError::new(kind)
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
            .field("kind", &self.kind)
            .field("cause", &self.cause)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(cause) => cause.fmt(f),
            None => self.kind.fmt(f),
        }
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests;
