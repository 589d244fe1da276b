//! Turning a refused request into a response: the one place to customise.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, Response, StatusCode};

use crate::response::error::AuthError;

/// A refused request: what went wrong ([`AuthError`]) and the protection space
/// (`realm`) the challenge names.
///
/// The [`AuthLayer`](crate::AuthLayer), [`AuthUser`](crate::AuthUser) and
/// [`Guard`](crate::extract::policy::Guard) all build one and hand it to the configured
/// [`RenderRejection`]; [`Rejection::default_response`] is the standard answer.
///
/// ```
/// use auth_middleware::{AuthError, Rejection};
///
/// let rejection = Rejection::new(AuthError::MissingToken, "api");
/// let response = rejection.default_response();
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="api""#);
/// ```
#[derive(Debug, Clone)]
pub struct Rejection {
    error: AuthError,
    realm: Arc<str>,
}

impl Rejection {
    /// A rejection for `error` in the protection space `realm`.
    pub fn new(error: AuthError, realm: impl Into<Arc<str>>) -> Self {
        Rejection {
            error,
            realm: realm.into(),
        }
    }

    /// What went wrong. For [`AuthError::InvalidToken`] this names the failed
    /// check: log it, never send it.
    pub fn error(&self) -> &AuthError {
        &self.error
    }

    /// The realm of the challenge.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The status of the default response (see [`AuthError::status`]).
    pub fn status(&self) -> StatusCode {
        self.error.status()
    }

    /// The `WWW-Authenticate` value of RFC 6750 §3 (with the RFC 9470 error
    /// code where it applies), or `None` when the error has no challenge.
    ///
    /// ```
    /// use auth_middleware::{AuthError, Rejection};
    ///
    /// let rejection = Rejection::new(AuthError::MissingScope("read:x".into()), "api");
    /// assert_eq!(
    ///     rejection.challenge().unwrap(),
    ///     r#"Bearer realm="api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="read:x""#,
    /// );
    /// ```
    pub fn challenge(&self) -> Option<HeaderValue> {
        if !self.error.has_challenge() {
            return None;
        }
        let mut challenge = String::with_capacity(96 + self.realm.len());
        challenge.push_str("Bearer realm=");
        push_quoted(&mut challenge, &self.realm);
        if let Some(code) = self.error.challenge_code() {
            challenge.push_str(", error=");
            push_quoted(&mut challenge, code);
            challenge.push_str(", error_description=");
            push_quoted(&mut challenge, self.error.description());
        }
        if let Some(scope) = self.error.scope() {
            challenge.push_str(", scope=");
            push_quoted(&mut challenge, scope);
        }
        if let Some(max_age) = self.error.max_age() {
            use std::fmt::Write as _;
            let _ = write!(challenge, ", max_age={max_age}");
        }
        HeaderValue::try_from(challenge).ok()
    }

    /// The JSON body `{"error": "...", "error_description": "..."}`.
    pub fn json_body(&self) -> Bytes {
        json_body(self.error.code(), self.error.description())
    }

    /// The standard response: [`Rejection::status`], the [`Rejection::challenge`]
    /// in `WWW-Authenticate`, `Retry-After` where the error has one (503),
    /// the [`Rejection::json_body`] as `application/json`, and
    /// `Cache-Control: no-store`.
    pub fn default_response(&self) -> Response<Bytes> {
        json_response(
            self.status(),
            self.error.code(),
            self.error.description(),
            self.challenge(),
            self.error.retry_after(),
        )
    }

    /// The error, consuming the rejection.
    pub fn into_error(self) -> AuthError {
        self.error
    }
}

/// `{"error": code, "error_description": description}`.
fn json_body(code: &str, description: &str) -> Bytes {
    #[derive(serde::Serialize)]
    struct Body<'a> {
        error: &'a str,
        error_description: &'a str,
    }
    let body = Body {
        error: code,
        error_description: description,
    };
    serde_json::to_vec(&body)
        .map(Bytes::from)
        .unwrap_or_default()
}

/// An error response as every refusal and flow error of this crate looks:
/// the JSON body, `Cache-Control: no-store`, and the challenge and
/// `Retry-After` given.
pub(crate) fn json_response(
    status: StatusCode,
    code: &str,
    description: &str,
    challenge: Option<HeaderValue>,
    retry_after: Option<u64>,
) -> Response<Bytes> {
    let mut response = Response::new(json_body(code, description));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Some(challenge) = challenge {
        headers.insert(WWW_AUTHENTICATE, challenge);
    }
    if let Some(seconds) = retry_after {
        headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `Bearer realm="…"` alone: the challenge every 401 carries (RFC 9110
/// §15.5.2) when its error is about something else than bearer credentials
/// (a wrong password), whose code is in the body.
pub(crate) fn realm_challenge(realm: &str) -> Option<HeaderValue> {
    let mut challenge = String::with_capacity(16 + realm.len());
    challenge.push_str("Bearer realm=");
    push_quoted(&mut challenge, realm);
    HeaderValue::try_from(challenge).ok()
}

/// Writes `value` as an HTTP quoted-string (RFC 9110 §5.6.4): `"` and `\` are
/// escaped, and control characters, which no quoted-string may hold, dropped.
fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    for ch in value.chars() {
        match ch {
            '"' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            '\t' => out.push(ch),
            _ if ch.is_control() => {}
            _ => out.push(ch),
        }
    }
    out.push('"');
}

/// Renders every rejection of a layer and of the extractors behind it.
///
/// Implement it, or pass a closure `Fn(&Rejection) -> Response<Bytes>`, to
/// change how refusals look (an HTML login redirect, another body format, a
/// 403 instead of RFC 9470's 401 for missing MFA); [`DefaultRenderer`] is the
/// standard one.
///
/// ```
/// use auth_middleware::{AuthError, AuthLayer, Rejection};
/// use auth_core::{Algorithm, KeySet, TokenIssuer};
/// use http::StatusCode;
///
/// let issuer = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://id.example", "api");
/// // An API whose clients expect 403 for a missing second factor.
/// let layer = AuthLayer::bearer(issuer.verifier()).on_rejection(|rejection: &Rejection| {
///     let mut response = rejection.default_response();
///     if *rejection.error() == AuthError::InsufficientUserAuthentication {
///         *response.status_mut() = StatusCode::FORBIDDEN;
///     }
///     response
/// });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait RenderRejection: Send + Sync + 'static {
    /// The response for `rejection`.
    fn render(&self, rejection: &Rejection) -> Response<Bytes>;
}

impl<F> RenderRejection for F
where
    F: Fn(&Rejection) -> Response<Bytes> + Send + Sync + 'static,
{
    fn render(&self, rejection: &Rejection) -> Response<Bytes> {
        self(rejection)
    }
}

/// The standard renderer: [`Rejection::default_response`] (RFC 6750 §3,
/// RFC 9110 §15.5.2, RFC 9470 challenges with a JSON body).
///
/// ```
/// use auth_middleware::{AuthError, DefaultRenderer, Rejection, RenderRejection};
///
/// let response = DefaultRenderer.render(&Rejection::new(AuthError::InsufficientUserAuthentication, "api"));
/// assert_eq!(response.status(), 401);
/// assert_eq!(
///     response.headers()["www-authenticate"],
///     r#"Bearer realm="api", error="insufficient_user_authentication", error_description="multi-factor authentication is required""#,
/// );
/// let stale = DefaultRenderer.render(&Rejection::new(AuthError::StaleAuthentication { max_age: 300 }, "api"));
/// assert_eq!(stale.status(), 401);
/// assert!(stale.headers()["www-authenticate"].to_str()?.ends_with(", max_age=300"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultRenderer;

impl RenderRejection for DefaultRenderer {
    fn render(&self, rejection: &Rejection) -> Response<Bytes> {
        rejection.default_response()
    }
}

/// The realm and renderer a layer uses, shared with the extractors behind it.
#[derive(Clone)]
pub(crate) struct Responder {
    realm: Arc<str>,
    renderer: Arc<dyn RenderRejection>,
}

/// The realm when none is configured.
pub(crate) const DEFAULT_REALM: &str = "api";

impl Default for Responder {
    fn default() -> Self {
        Responder {
            realm: Arc::from(DEFAULT_REALM),
            renderer: Arc::new(DefaultRenderer),
        }
    }
}

impl Responder {
    pub(crate) fn with_realm(&self, realm: Arc<str>) -> Self {
        Responder {
            realm,
            renderer: Arc::clone(&self.renderer),
        }
    }

    pub(crate) fn with_renderer(&self, renderer: Arc<dyn RenderRejection>) -> Self {
        Responder {
            realm: Arc::clone(&self.realm),
            renderer,
        }
    }

    pub(crate) fn realm(&self) -> &str {
        &self.realm
    }

    /// Logs `error` (never a token) and renders it.
    pub(crate) fn reject(&self, error: AuthError) -> Response<Bytes> {
        log_refusal(&error);
        self.renderer
            .render(&Rejection::new(error, Arc::clone(&self.realm)))
    }
}

/// Logs a refusal: which check failed, never the token.
pub(crate) fn log_refusal(error: &AuthError) {
    match error {
        AuthError::NotConfigured(reason) => {
            tracing::error!(reason, "request refused: authentication is not configured");
        }
        AuthError::InvalidToken(reason) => {
            tracing::debug!(reason = reason.as_str(), "access token rejected");
        }
        error => tracing::debug!(%error, "request refused"),
    }
}

impl fmt::Debug for Responder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Responder")
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::error::InvalidRequest;
    use auth_core::TokenRejection;

    fn challenge(error: AuthError, realm: &str) -> String {
        let value = Rejection::new(error, realm).challenge();
        String::from_utf8(value.map(|v| v.as_bytes().to_vec()).unwrap_or_default()).unwrap()
    }

    #[test]
    fn missing_token_has_no_error_attribute() {
        assert_eq!(
            challenge(AuthError::MissingToken, "api"),
            r#"Bearer realm="api""#
        );
    }

    #[test]
    fn invalid_token_says_only_invalid_token() {
        assert_eq!(
            challenge(
                AuthError::InvalidToken(TokenRejection::Expired),
                "auth-demo"
            ),
            r#"Bearer realm="auth-demo", error="invalid_token", error_description="the access token is invalid""#
        );
    }

    #[test]
    fn invalid_request_and_step_up_codes() {
        assert_eq!(
            challenge(
                AuthError::InvalidRequest(InvalidRequest::EmptyBearer),
                "api"
            ),
            r#"Bearer realm="api", error="invalid_request", error_description="the Bearer credentials are empty""#
        );
        assert_eq!(
            challenge(AuthError::InsufficientUserAuthentication, "api"),
            r#"Bearer realm="api", error="insufficient_user_authentication", error_description="multi-factor authentication is required""#
        );
        assert_eq!(
            challenge(AuthError::MissingRole("admin".into()), "api"),
            r#"Bearer realm="api", error="insufficient_scope", error_description="the access token does not grant access to this resource""#,
            "the missing role stays out of the challenge"
        );
    }

    #[test]
    fn realm_is_escaped_as_a_quoted_string() {
        assert_eq!(
            challenge(AuthError::MissingToken, r#"a "quoted" \realm"#),
            r#"Bearer realm="a \"quoted\" \\realm""#
        );
        assert_eq!(
            challenge(AuthError::MissingToken, "line\r\nbreak\u{7f}\ttab"),
            "Bearer realm=\"linebreak\ttab\""
        );
        assert_eq!(
            challenge(AuthError::MissingToken, "ré"),
            "Bearer realm=\"ré\""
        );
    }

    #[test]
    fn server_errors_have_no_challenge() {
        let rejection = Rejection::new(AuthError::NotConfigured("no layer"), "api");
        assert!(rejection.challenge().is_none());
        let response = rejection.default_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!response.headers().contains_key(WWW_AUTHENTICATE));
    }

    #[test]
    fn default_response_is_json_and_not_cached() {
        let response = Rejection::new(AuthError::InvalidToken(TokenRejection::Revoked), "api")
            .default_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": "invalid_token", "error_description": "the access token is invalid"})
        );
    }

    #[test]
    fn closures_render() {
        let renderer = |rejection: &Rejection| {
            let mut response = Response::new(Bytes::from_static(b"custom"));
            *response.status_mut() = rejection.status();
            response
        };
        let responder = Responder::default().with_renderer(Arc::new(renderer));
        let response = responder.reject(AuthError::Forbidden);
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(response.body().as_ref(), b"custom");
    }
}
