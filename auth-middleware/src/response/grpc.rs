//! The gRPC form of a refusal (feature `grpc`): a status code and message in
//! a trailers-only response, which any gRPC client reads as a failed call.

use bytes::Bytes;
use http::header::WWW_AUTHENTICATE;
use http::{HeaderMap, Response};
use tonic::metadata::MetadataMap;
use tonic::{Code, Status};

use crate::response::error::AuthError;
use crate::response::rejection::{Rejection, RenderRejection};

impl AuthError {
    /// The gRPC status code of this refusal: `UNAUTHENTICATED` for missing,
    /// malformed or invalid credentials, `PERMISSION_DENIED` for credentials
    /// that do not meet a policy (role, scope, MFA, a recent login),
    /// `UNAVAILABLE` where HTTP answers 503 and `INTERNAL` where it answers 500.
    ///
    /// ```
    /// use auth_middleware::AuthError;
    /// use tonic::Code;
    ///
    /// assert_eq!(AuthError::MissingToken.grpc_code(), Code::Unauthenticated);
    /// assert_eq!(AuthError::MissingRole("admin".into()).grpc_code(), Code::PermissionDenied);
    /// assert_eq!(AuthError::InsufficientUserAuthentication.grpc_code(), Code::PermissionDenied);
    /// ```
    ///
    /// A missing second factor or a too old login is `PERMISSION_DENIED`,
    /// not the 401 of RFC 9470: the caller's credentials are valid, they do
    /// not grant this call. The RFC 9470 challenge still travels in the
    /// `www-authenticate` metadata of [`Rejection::grpc_status`].
    pub fn grpc_code(&self) -> Code {
        match self {
            AuthError::MissingToken
            | AuthError::InvalidRequest(_)
            | AuthError::InvalidToken(_)
            | AuthError::InvalidApiKey => Code::Unauthenticated,
            AuthError::MissingRole(_)
            | AuthError::MissingScope(_)
            | AuthError::Forbidden
            | AuthError::InsufficientUserAuthentication
            | AuthError::StaleAuthentication { .. } => Code::PermissionDenied,
            AuthError::Unavailable => Code::Unavailable,
            AuthError::NotConfigured(_) => Code::Internal,
        }
    }
}

/// The status of [`AuthError::grpc_code`] with the client-safe
/// [`AuthError::description`] as its message (never the token, nor which
/// check failed), so a tonic handler can use `?` on a policy check.
///
/// ```
/// use auth_middleware::AuthUser;
/// use auth_middleware::policy::Requirement;
///
/// fn delete_account(user: &AuthUser) -> Result<(), tonic::Status> {
///     user.meets(&Requirement::Role("admin"))?; // PERMISSION_DENIED without the role
///     Ok(())
/// }
/// ```
impl From<AuthError> for Status {
    fn from(error: AuthError) -> Self {
        Status::new(error.grpc_code(), error.description())
    }
}

impl Rejection {
    /// The gRPC status of this rejection: [`AuthError::grpc_code`], the
    /// client-safe [`AuthError::description`] as the message, and the
    /// [`Rejection::challenge`] as `www-authenticate` metadata, where the
    /// client finds the RFC 6750 / RFC 9470 error code (`invalid_token`,
    /// `insufficient_user_authentication`, `max_age`).
    ///
    /// ```
    /// use auth_middleware::{AuthError, Rejection};
    /// use tonic::Code;
    ///
    /// let status = Rejection::new(AuthError::MissingToken, "api").grpc_status();
    /// assert_eq!(status.code(), Code::Unauthenticated);
    /// assert_eq!(status.message(), "an access token is required");
    /// assert_eq!(status.metadata().get("www-authenticate").unwrap(), r#"Bearer realm="api""#);
    /// ```
    pub fn grpc_status(&self) -> Status {
        let mut headers = HeaderMap::new();
        if let Some(challenge) = self.challenge() {
            headers.insert(WWW_AUTHENTICATE, challenge);
        }
        Status::with_metadata(
            self.error().grpc_code(),
            self.error().description(),
            MetadataMap::from_headers(headers),
        )
    }

    /// The trailers-only gRPC response of [`Rejection::grpc_status`]: HTTP
    /// 200, `content-type: application/grpc`, `grpc-status`, `grpc-message`
    /// (percent-encoded as the gRPC protocol asks) and `www-authenticate`
    /// in the headers, and no body.
    ///
    /// ```
    /// use auth_middleware::{AuthError, Rejection};
    /// use auth_middleware::auth_core::TokenRejection;
    ///
    /// let response = Rejection::new(AuthError::InvalidToken(TokenRejection::Expired), "api").grpc_response();
    /// assert_eq!(response.status(), 200);
    /// assert_eq!(response.headers()["content-type"], "application/grpc");
    /// assert_eq!(response.headers()["grpc-status"], "16");
    /// assert_eq!(response.headers()["grpc-message"], "the%20access%20token%20is%20invalid");
    /// assert!(response.body().is_empty());
    /// ```
    pub fn grpc_response(&self) -> Response<Bytes> {
        let mut response = self.grpc_status().into_http::<Bytes>();
        // The `Status` tonic leaves in the extensions is of no use past the
        // layer; a response should not carry two copies of its refusal.
        response.extensions_mut().clear();
        response
    }
}

/// Renders every refusal as a gRPC status ([`Rejection::grpc_response`]), for
/// an [`AuthLayer`](crate::AuthLayer) in front of a gRPC server such as
/// tonic's; [`AuthLayer::grpc`](crate::AuthLayer::grpc) is the short form.
///
/// | refusal | gRPC status |
/// |---|---|
/// | no token, malformed credentials, a token failing any check, an unknown API key | `UNAUTHENTICATED` (16) |
/// | missing role or scope, MFA required, login too old | `PERMISSION_DENIED` (7) |
/// | revocation view too old to trust (HTTP 503) | `UNAVAILABLE` (14) |
/// | not set up to authenticate (HTTP 500) | `INTERNAL` (13) |
///
/// ```
/// use auth_middleware::{AuthError, GrpcRenderer, Rejection, RenderRejection};
///
/// let response = GrpcRenderer.render(&Rejection::new(AuthError::MissingScope("read".into()), "api"));
/// assert_eq!(response.headers()["grpc-status"], "7");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcRenderer;

impl RenderRejection for GrpcRenderer {
    fn render(&self, rejection: &Rejection) -> Response<Bytes> {
        rejection.grpc_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::error::InvalidRequest;
    use auth_core::TokenRejection;
    use http::StatusCode;
    use http::header::CONTENT_TYPE;

    /// Every refusal, with the code and message a gRPC client must read.
    fn cases() -> Vec<(AuthError, Code, &'static str)> {
        vec![
            (
                AuthError::MissingToken,
                Code::Unauthenticated,
                "an access token is required",
            ),
            (
                AuthError::InvalidRequest(InvalidRequest::DuplicateAuthorization),
                Code::Unauthenticated,
                "the request has more than one Authorization header",
            ),
            (
                AuthError::InvalidRequest(InvalidRequest::EmptyBearer),
                Code::Unauthenticated,
                "the Bearer credentials are empty",
            ),
            (
                AuthError::InvalidToken(TokenRejection::Expired),
                Code::Unauthenticated,
                "the access token is invalid",
            ),
            (
                AuthError::InvalidToken(TokenRejection::Revoked),
                Code::Unauthenticated,
                "the access token is invalid",
            ),
            (
                AuthError::InvalidToken(TokenRejection::BadSignature),
                Code::Unauthenticated,
                "the access token is invalid",
            ),
            (
                AuthError::InvalidApiKey,
                Code::Unauthenticated,
                "the API key is invalid",
            ),
            (
                AuthError::MissingRole("admin".into()),
                Code::PermissionDenied,
                "the access token does not grant access to this resource",
            ),
            (
                AuthError::MissingScope("read".into()),
                Code::PermissionDenied,
                "the access token lacks a required scope",
            ),
            (
                AuthError::Forbidden,
                Code::PermissionDenied,
                "the access token does not grant access to this resource",
            ),
            (
                AuthError::InsufficientUserAuthentication,
                Code::PermissionDenied,
                "multi-factor authentication is required",
            ),
            (
                AuthError::StaleAuthentication { max_age: 300 },
                Code::PermissionDenied,
                "a more recent authentication is required; sign in again",
            ),
            (
                AuthError::Unavailable,
                Code::Unavailable,
                "the service is temporarily unavailable; try again shortly",
            ),
            (
                AuthError::NotConfigured("no layer"),
                Code::Internal,
                "the server cannot authenticate this request",
            ),
        ]
    }

    #[test]
    fn every_refusal_has_its_code_and_client_safe_message() {
        for (error, code, message) in cases() {
            let status = Status::from(error.clone());
            assert_eq!(status.code(), code, "{error}");
            assert_eq!(status.message(), message, "{error}");
            let status = Rejection::new(error.clone(), "api").grpc_status();
            assert_eq!(
                (status.code(), status.message()),
                (code, message),
                "{error}"
            );
        }
    }

    #[test]
    fn a_response_is_trailers_only_and_a_client_decodes_it() {
        for (error, code, message) in cases() {
            let response = GrpcRenderer.render(&Rejection::new(error.clone(), "api"));
            assert_eq!(response.status(), StatusCode::OK, "{error}");
            assert_eq!(response.headers()[CONTENT_TYPE], "application/grpc");
            assert_eq!(
                response.headers()["grpc-status"],
                i32::from(code).to_string().as_str(),
                "{error}"
            );
            assert!(response.body().is_empty(), "{error}");
            // What tonic's client does with the headers of such a response.
            let decoded = Status::from_header_map(response.headers()).unwrap();
            assert_eq!((decoded.code(), decoded.message()), (code, message));
        }
    }

    #[test]
    fn the_message_is_percent_encoded() {
        let response =
            Rejection::new(AuthError::StaleAuthentication { max_age: 60 }, "api").grpc_response();
        assert_eq!(
            response.headers()["grpc-message"],
            "a%20more%20recent%20authentication%20is%20required;%20sign%20in%20again"
        );
    }

    #[test]
    fn the_challenge_travels_as_metadata() {
        let status =
            Rejection::new(AuthError::StaleAuthentication { max_age: 60 }, "grpc").grpc_status();
        assert_eq!(
            status.metadata().get("www-authenticate").unwrap(),
            r#"Bearer realm="grpc", error="insufficient_user_authentication", error_description="a more recent authentication is required; sign in again", max_age=60"#
        );
        let response = Rejection::new(AuthError::Unavailable, "grpc").grpc_response();
        assert!(
            !response.headers().contains_key(WWW_AUTHENTICATE),
            "no challenge for a 503"
        );
        assert!(response.extensions().get::<Status>().is_none());
    }

    #[test]
    fn the_layer_renders_grpc_when_asked() {
        let responder = crate::response::rejection::Responder::default()
            .with_renderer(std::sync::Arc::new(GrpcRenderer));
        let response = responder.reject(AuthError::InvalidToken(TokenRejection::Expired));
        assert_eq!(response.headers()["grpc-status"], "16");
        assert!(!response.headers().contains_key("retry-after"));
    }
}
