//! The caller and the policy checks inside a tonic handler (feature `grpc`).

use auth_core::Claims;
use tonic::{Request, Status};

use crate::extract::context::AuthContext;
use crate::extract::policy::Requirement;
use crate::extract::user::{AuthUser, missing_user};
use crate::response::error::AuthError;
use crate::response::rejection::{DEFAULT_REALM, Rejection, log_refusal};

/// What the [`AuthLayer`](crate::AuthLayer) decided, read from a
/// [`tonic::Request`]: the verified user, and policy checks that fail with
/// the [`tonic::Status`] the layer would send ([`Rejection::grpc_status`]).
///
/// The layer puts the [`AuthUser`] into the request's extensions, which
/// tonic hands to the handler; these methods read them, so a service needs no
/// interceptor of its own.
///
/// ```
/// use auth_middleware::policy::Requirement;
/// use auth_middleware::{AuthUser, GrpcRequestExt};
/// use tonic::{Request, Status};
///
/// /// Any signed-in caller.
/// fn whoami(request: &Request<()>) -> Result<String, Status> {
///     let user: &AuthUser = request.auth_user()?;
///     Ok(user.subject().to_owned())
/// }
///
/// /// Only callers with the `admin` role; PERMISSION_DENIED for the others.
/// fn purge(request: &Request<()>) -> Result<(), Status> {
///     request.require(&Requirement::Role("admin"))?;
///     Ok(())
/// }
/// ```
///
/// Without an `AuthLayer` in front of the service both fail with `INTERNAL`,
/// so a wiring mistake shows at the first call instead of passing as
/// "anonymous".
pub trait GrpcRequestExt: sealed::Sealed {
    /// The verified user of the request's access token (claims `C`, `()`
    /// for none); `UNAUTHENTICATED` without one (behind an
    /// [`optional`](crate::AuthLayer::optional) layer, or with an API key).
    fn auth_user<C: Claims>(&self) -> Result<&AuthUser<C>, Status>;

    /// Whether the caller meets `requirement` (with either credential);
    /// `UNAUTHENTICATED` without a credential, `PERMISSION_DENIED` when the
    /// credential does not meet it.
    fn require(&self, requirement: &Requirement) -> Result<(), Status>;
}

impl<T> GrpcRequestExt for Request<T> {
    fn auth_user<C: Claims>(&self) -> Result<&AuthUser<C>, Status> {
        if let Some(user) = self.extensions().get::<AuthUser<C>>() {
            return Ok(user);
        }
        let context = layer_context(self)?;
        Err(refuse(context.realm(), missing_user(context)))
    }

    fn require(&self, requirement: &Requirement) -> Result<(), Status> {
        let context = layer_context(self)?;
        context
            .check(requirement)
            .map_err(|error| refuse(context.realm(), error))
    }
}

/// The layer's decision about `request`; `INTERNAL` when no layer made one.
fn layer_context<T>(request: &Request<T>) -> Result<&AuthContext, Status> {
    request.extensions().get::<AuthContext>().ok_or_else(|| {
        refuse(
            DEFAULT_REALM,
            AuthError::NotConfigured("no AuthLayer runs in front of this gRPC service"),
        )
    })
}

/// Logs `error` as the layer logs its refusals, and makes its status.
fn refuse(realm: &str, error: AuthError) -> Status {
    log_refusal(&error);
    Rejection::new(error, realm).grpc_status()
}

mod sealed {
    pub trait Sealed {}
    impl<T> Sealed for tonic::Request<T> {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    use auth_core::{Algorithm, KeySet, TokenIssuer, TokenRequest};
    use tonic::Code;
    use tower::{ServiceExt, service_fn};

    use crate::AuthLayer;

    /// What the handler decided, carried back in the response's extensions.
    #[derive(Clone)]
    struct Outcome(Result<String, Status>);

    /// What a handler behind `layer` answers to a request with `token`:
    /// the subject, or the status of `auth_user` and then `require(admin)`.
    async fn call(layer: AuthLayer, token: Option<&str>) -> Result<String, Status> {
        let handler = service_fn(|request: http::Request<()>| async move {
            let request = Request::from_http(request);
            let outcome = request.auth_user::<()>().and_then(|user| {
                request.require(&Requirement::Role("admin"))?;
                Ok(user.subject().to_owned())
            });
            let mut response = http::Response::new(String::new());
            response.extensions_mut().insert(Outcome(outcome));
            Ok::<_, Infallible>(response)
        });
        let mut request = http::Request::builder().uri("/admin.Admin/Purge");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = crate::AuthService::new(handler, layer)
            .oneshot(request.body(()).unwrap())
            .await
            .unwrap();
        let Outcome(outcome) = response.extensions().get::<Outcome>().cloned().unwrap();
        outcome
    }

    fn issuer() -> TokenIssuer {
        TokenIssuer::new(
            KeySet::generate(Algorithm::EdDSA).unwrap(),
            "https://issuer.example",
            "api",
        )
    }

    fn token(issuer: &TokenIssuer, request: &TokenRequest) -> String {
        issuer.issue(request).unwrap().access_token
    }

    #[tokio::test]
    async fn the_handler_reads_the_user_and_checks_the_role() {
        let issuer = issuer();
        let layer = AuthLayer::bearer(issuer.verifier()).grpc();
        let admin = token(&issuer, &TokenRequest::new("ada").roles(["admin"]));
        assert_eq!(call(layer.clone(), Some(&admin)).await.unwrap(), "ada");

        let plain = token(&issuer, &TokenRequest::new("bob"));
        let denied = call(layer, Some(&plain)).await.unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied);
        assert_eq!(
            denied.message(),
            "the access token does not grant access to this resource"
        );
        assert_eq!(
            denied.metadata().get("www-authenticate").unwrap(),
            r#"Bearer realm="api", error="insufficient_scope", error_description="the access token does not grant access to this resource""#
        );
    }

    #[tokio::test]
    async fn no_token_behind_an_optional_layer_is_unauthenticated() {
        let layer = AuthLayer::bearer(issuer().verifier())
            .optional()
            .realm("grpc");
        let status = call(layer, None).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(status.message(), "an access token is required");
        assert_eq!(
            status.metadata().get("www-authenticate").unwrap(),
            r#"Bearer realm="grpc""#
        );
    }

    #[test]
    fn no_layer_is_an_internal_error() {
        let request = Request::new(());
        let status = request.auth_user::<()>().unwrap_err();
        assert_eq!(status.code(), Code::Internal);
        let status = request.require(&Requirement::Authenticated).unwrap_err();
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(
            status.message(),
            "the server cannot authenticate this request"
        );
    }
}
