//! The one error type of `auth-middleware`, and its one mapping to HTTP.

use std::borrow::Cow;

use auth_core::TokenRejection;
use auth_core::password::PasswordProblem;
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

    // What the flows answer (see `From<auth_core::Error>`).
    /// Wrong username or password; deliberately not saying which.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failed attempts for the account or the client address.
    #[error("too many attempts; retry after {retry_after} s")]
    TooManyAttempts {
        /// Seconds until the throttling window ends (the `Retry-After` value).
        retry_after: u64,
    },
    /// A wrong, reused or expired second-factor code or `mfa_token`, at login.
    #[error("invalid second-factor code")]
    InvalidCode,
    /// A wrong first code when confirming TOTP enrolment: the request is
    /// understood but its content refused, so 422 rather than 401.
    #[error("invalid TOTP confirmation code")]
    InvalidConfirmationCode,
    /// A missing, unknown, expired, reused or revoked refresh token (RFC 6749 §5.2).
    #[error("invalid refresh token")]
    InvalidGrant,
    /// A new password breaks the password policy.
    #[error("weak password: {0}")]
    WeakPassword(PasswordProblem),
    /// A username that is empty, too long, or holds control characters.
    #[error("invalid username")]
    InvalidUsername,
    /// The username is already registered.
    #[error("username taken")]
    UsernameTaken,
    /// The user already holds the most live API keys allowed.
    #[error("too many API keys")]
    TooManyApiKeys,
    /// TOTP is already enrolled and confirmed; enrolling again would switch
    /// the second factor off until the new secret is confirmed.
    #[error("a second factor is already enrolled")]
    MfaAlreadyEnrolled,
    /// The record named by the request does not exist (or is someone else's).
    #[error("not found")]
    NotFound,
    /// The store cannot be reached; the request may be retried.
    #[error("store unavailable")]
    Unavailable,
    /// A server-side failure the client can do nothing about; the cause is
    /// logged where the error is rendered ([`ApiError`](crate::ApiError)).
    #[error("internal error")]
    Internal,

    // What is wrong with a request's body or origin.
    /// The request body is not syntactically valid JSON.
    #[error("the request body is not valid JSON")]
    MalformedBody,
    /// The JSON body lacks a field or has a field of the wrong type.
    #[error("the JSON body does not match the expected fields")]
    UnprocessableBody,
    /// The JSON body is valid JSON but not an object at the top level.
    #[error("the JSON body is not an object")]
    NotAnObject,
    /// The request body is larger than the route accepts.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// The request has no `Content-Type: application/json`.
    #[error("the request body is not declared as JSON")]
    UnsupportedMediaType,
    /// The request comes from another origin than the application's own
    /// (an `Origin` header that differs).
    #[error("cross-origin request refused")]
    CrossOrigin,

    // What an external login's callback answers.
    /// The callback matches no login in progress in this browser, or the
    /// provider's answer does not verify (the log says which check).
    #[error("external login refused")]
    ExternalLogin,
    /// The provider answered the login with this error code (RFC 6749
    /// §4.1.2.1), passed on as the `error` of a 400.
    #[error("the provider returned `{0}`")]
    ProviderDenied(&'static str),
    /// The external identity's account name is held by an account with a password.
    #[error("external identity conflicts with an account")]
    AccountConflict,
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
    /// The response status: 400, 401, 403, or 500 for [`AuthError::NotConfigured`]
    /// on the request path; the flows' own statuses (401, 404, 409, 413, 415,
    /// 422, 429, 503, 500) for the errors of the flows and their bodies.
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

    /// The `error` attribute of the challenge: `Some` only for errors about
    /// the presented credentials or what they grant. `None` when the request
    /// carried no token at all (RFC 6750 §3.1 asks for no error information
    /// then), and for the flows' 401s, whose code is in the body.
    pub fn challenge_code(&self) -> Option<&'static str> {
        self.is_about_bearer_credentials()
            .then(|| self.code())
            .filter(|_| *self != AuthError::MissingToken)
    }

    /// A description safe to show a client; it never names the token check
    /// that failed, nor holds a secret.
    pub fn description(&self) -> &'static str {
        self.wire().description
    }

    /// Whether the response carries a `Bearer` challenge: every 401 (RFC 9110
    /// §15.5.2), and the 400 and 403 answers about bearer credentials.
    pub fn has_challenge(&self) -> bool {
        self.is_about_bearer_credentials() || self.status() == StatusCode::UNAUTHORIZED
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

    /// The `Retry-After` value in seconds: when throttling ends, or one second
    /// for an unreachable store.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AuthError::TooManyAttempts { retry_after } => Some(*retry_after),
            AuthError::Unavailable => Some(1),
            _ => None,
        }
    }

    /// The errors of RFC 6750 §3 and RFC 9470: about the bearer credentials a
    /// request presents, or what they grant.
    fn is_about_bearer_credentials(&self) -> bool {
        matches!(
            self,
            AuthError::MissingToken
                | AuthError::InvalidRequest(_)
                | AuthError::InvalidToken(_)
                | AuthError::InvalidApiKey
                | AuthError::MissingRole(_)
                | AuthError::MissingScope(_)
                | AuthError::Forbidden
                | AuthError::InsufficientUserAuthentication
                | AuthError::StaleAuthentication { .. }
        )
    }

    fn wire(&self) -> Wire {
        const DENIED: &str = "the access token does not grant access to this resource";
        const BAD_CODE: &str = "the code is wrong, already used, or expired";
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
            AuthError::NotConfigured(_) => Wire::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the server cannot authenticate this request",
            ),
            AuthError::InvalidCredentials => Wire::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "the username or password is incorrect",
            ),
            AuthError::TooManyAttempts { .. } => Wire::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                "too many failed attempts; try again later",
            ),
            AuthError::InvalidCode => Wire::new(StatusCode::UNAUTHORIZED, "invalid_code", BAD_CODE),
            AuthError::InvalidConfirmationCode => {
                Wire::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code", BAD_CODE)
            }
            AuthError::InvalidGrant => Wire::new(
                StatusCode::UNAUTHORIZED,
                "invalid_grant",
                "the refresh token is invalid",
            ),
            AuthError::WeakPassword(problem) => Wire::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "weak_password",
                match problem {
                    PasswordProblem::TooShort { .. } => "the password is too short",
                    PasswordProblem::TooLong { .. } => "the password is too long",
                    PasswordProblem::SameAsUsername => "the password must not be the username",
                    _ => "the password is not acceptable",
                },
            ),
            AuthError::InvalidUsername => Wire::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_username",
                "the username must have 1 to 64 characters, without spaces, control, \
                 zero-width or direction-changing characters",
            ),
            AuthError::UsernameTaken => Wire::new(
                StatusCode::CONFLICT,
                "username_taken",
                "the username is already taken",
            ),
            AuthError::TooManyApiKeys => Wire::new(
                StatusCode::CONFLICT,
                "too_many_api_keys",
                "the user holds the most API keys allowed; delete one first",
            ),
            AuthError::MfaAlreadyEnrolled => Wire::new(
                StatusCode::CONFLICT,
                "mfa_already_enrolled",
                "a second factor is already enrolled",
            ),
            AuthError::NotFound => {
                Wire::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
            }
            AuthError::Unavailable => Wire::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the service is temporarily unavailable; try again shortly",
            ),
            AuthError::ExternalLogin => Wire::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the external login could not be completed; start it again",
            ),
            AuthError::ProviderDenied(code) => Wire::new(
                StatusCode::BAD_REQUEST,
                code,
                "the identity provider did not authenticate the user",
            ),
            AuthError::AccountConflict => Wire::new(
                StatusCode::CONFLICT,
                "account_conflict",
                "the external identity conflicts with an existing account",
            ),
            AuthError::Internal => Wire::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the server could not complete the request",
            ),
            AuthError::MalformedBody => Wire::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the request body is not valid JSON",
            ),
            AuthError::UnprocessableBody => Wire::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "the request body lacks a field or has a field of the wrong type",
            ),
            AuthError::NotAnObject => Wire::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "the request body must be a JSON object",
            ),
            AuthError::PayloadTooLarge => Wire::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large",
            ),
            AuthError::UnsupportedMediaType => Wire::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the request body must be sent as Content-Type: application/json",
            ),
            AuthError::CrossOrigin => Wire::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "cross-origin requests are not allowed",
            ),
        }
    }
}

/// How the flows' errors reach the client: the classification of every
/// [`auth_core::Error`], next to the statuses above so that the mapping to
/// HTTP stays in this one file. What is not the client's doing becomes
/// [`AuthError::Internal`] (500), whose cause only the logs see.
impl From<&auth_core::Error> for AuthError {
    fn from(error: &auth_core::Error) -> Self {
        use auth_core::Error as Core;
        match error {
            Core::InvalidCredentials => AuthError::InvalidCredentials,
            Core::TooManyAttempts { retry_after } => AuthError::TooManyAttempts {
                retry_after: (*retry_after).max(1),
            },
            Core::InvalidCode => AuthError::InvalidCode,
            Core::InvalidGrant => AuthError::InvalidGrant,
            Core::WeakPassword(problem) => AuthError::WeakPassword(*problem),
            Core::PasswordTooShort { min } => {
                AuthError::WeakPassword(PasswordProblem::TooShort { min: *min })
            }
            Core::PasswordTooLong { max } => {
                AuthError::WeakPassword(PasswordProblem::TooLong { max: *max })
            }
            Core::InvalidUsername => AuthError::InvalidUsername,
            Core::UsernameTaken => AuthError::UsernameTaken,
            Core::TooManyApiKeys { .. } => AuthError::TooManyApiKeys,
            Core::Overloaded => AuthError::Unavailable,
            Core::MfaAlreadyEnrolled => AuthError::MfaAlreadyEnrolled,
            Core::NotFound => AuthError::NotFound,
            Core::StoreUnavailable(_) => AuthError::Unavailable,
            Core::InvalidToken(reason) => AuthError::InvalidToken(*reason),
            Core::ExternalLogin(_) => AuthError::ExternalLogin,
            Core::ProviderDenied(code) => AuthError::ProviderDenied(code),
            Core::ProviderUnavailable(_) => AuthError::Unavailable,
            Core::ExternalAccountConflict => AuthError::AccountConflict,
            _ => AuthError::Internal,
        }
    }
}

impl From<auth_core::Error> for AuthError {
    fn from(error: auth_core::Error) -> Self {
        AuthError::from(&error)
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
