//! What the handlers share: token responses, the origin check, the
//! recent-authentication check.

use auth_core::flow::TokenPair;
use axum::Json;
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, ORIGIN, SET_COOKIE};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::Serialize;

use super::Shared;
use crate::extract::policy::Requirement;
use crate::extract::user::AuthUser;
use crate::routes::error::ApiError;
use crate::routes::error::ApiErrorKind;

/// What a handler answers.
pub(super) type Reply = Result<Response, ApiError>;

/// `Cache-Control: no-store`: every answer here may hold a secret (RFC 6749 §5.1).
const NO_STORE: (http::HeaderName, HeaderValue) =
    (CACHE_CONTROL, HeaderValue::from_static("no-store"));

/// A JSON answer that no cache keeps.
pub(super) fn json(status: StatusCode, body: impl Serialize) -> Response {
    (status, [NO_STORE], Json(body)).into_response()
}

/// 204, with `Set-Cookie` headers deleting both session cookies.
pub(super) fn no_content_clearing_cookies(shared: &Shared) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.append(SET_COOKIE, shared.cookies.clear_access());
    headers.append(SET_COOKIE, shared.cookies.clear_refresh());
    response
}

#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u64,
}

/// The token response: the access token in the body, the refresh token in
/// its cookie only.
pub(super) fn tokens(shared: &Shared, pair: &TokenPair) -> Response {
    let body = TokenBody {
        access_token: &pair.access.access_token,
        token_type: "Bearer",
        expires_in: pair.access.expires_in,
    };
    let mut response = json(StatusCode::OK, body);
    response.headers_mut().append(
        SET_COOKIE,
        shared.cookies.set_refresh(pair.refresh.expose()),
    );
    response
}

impl Shared {
    /// Refuses a caller whose last authentication is older than the
    /// flows' [`recent_auth`](auth_core::flow::FlowConfig::recent_auth)
    /// bound: 401 with RFC 9470's `max_age`.
    pub(super) fn require_recent(&self, user: &AuthUser) -> Result<(), ApiError> {
        let max_age = self.authenticator.config().recent_auth().as_secs();
        user.meets(&Requirement::RecentAuth(max_age))
            .map_err(|error| self.error(error))
    }

    /// Refuses a request whose `Origin` header (any of them) is not the
    /// allowed origin, byte for byte; a request without one passes (not a
    /// browser's cross-origin request).
    pub(super) fn check_origin(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let allowed = self.allowed_origin.as_deref().map(str::as_bytes);
        let foreign = headers
            .get_all(ORIGIN)
            .iter()
            .any(|origin| Some(origin.as_bytes()) != allowed);
        if foreign {
            return Err(self.error(ApiErrorKind::CrossOrigin));
        }
        Ok(())
    }
}
