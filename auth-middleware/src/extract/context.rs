//! What the layer hands to the extractors behind it.

use std::fmt;
use std::sync::Arc;

use auth_core::{AccessClaims, Claims};
use axum_core::body::Body;
use axum_core::extract::FromRequestParts;
use axum_core::response::Response;
use http::request::Parts;

use crate::extract::policy::Requirement;
use crate::response::error::AuthError;
use crate::response::rejection::Responder;

/// The verified claims as the policy checks see them, whatever the
/// application's claims type. It points at the same allocation as
/// [`AuthUser`](crate::AuthUser).
pub(crate) trait Principal: Send + Sync + 'static {
    fn subject(&self) -> &str;
    fn has_role(&self, role: &str) -> bool;
    fn has_scope(&self, scope: &str) -> bool;
    fn is_mfa(&self) -> bool;
    /// When the user last authenticated, if the credential says so and is
    /// trusted to (an API key does not).
    fn authenticated_at(&self) -> Option<i64> {
        None
    }
    /// Whether the credential is an API key rather than an access token.
    fn is_api_key(&self) -> bool {
        false
    }
}

impl<C: Claims> Principal for AccessClaims<C> {
    fn subject(&self) -> &str {
        AccessClaims::subject(self)
    }
    fn has_role(&self, role: &str) -> bool {
        AccessClaims::has_role(self, role)
    }
    fn has_scope(&self, scope: &str) -> bool {
        AccessClaims::has_scope(self, scope)
    }
    fn is_mfa(&self) -> bool {
        AccessClaims::is_mfa(self)
    }
    fn authenticated_at(&self) -> Option<i64> {
        AccessClaims::authenticated_at(self)
    }
}

/// What the [`AuthLayer`](crate::AuthLayer) decided about a request, put into
/// its extensions for every request it lets through: whether a verified token
/// came with it, and how this layer renders rejections.
///
/// The built-in extractors use it; an application's own extractor can too, so
/// that its refusals look like every other one.
///
/// ```
/// use auth_middleware::{AuthContext, AuthError};
/// use axum_core::extract::FromRequestParts;
/// use axum_core::response::Response;
/// use http::request::Parts;
///
/// /// Only users whose id starts with "staff-".
/// struct Staff;
///
/// impl<S: Send + Sync> FromRequestParts<S> for Staff {
///     type Rejection = Response;
///
///     async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
///         let context = AuthContext::from_request_parts(parts, state).await?;
///         match context.subject() {
///             Some(subject) if subject.starts_with("staff-") => Ok(Staff),
///             Some(_) => Err(context.reject(AuthError::Forbidden)),
///             None => Err(context.reject(AuthError::MissingToken)),
///         }
///     }
/// }
/// ```
#[derive(Clone)]
pub struct AuthContext {
    principal: Option<Arc<dyn Principal>>,
    responder: Arc<Responder>,
}

impl AuthContext {
    pub(crate) fn new(principal: Option<Arc<dyn Principal>>, responder: Arc<Responder>) -> Self {
        AuthContext {
            principal,
            responder,
        }
    }

    /// Whether the request carried a verified token or a live API key
    /// (`false` only behind an [`optional`](crate::AuthLayer::optional) layer).
    pub fn is_authenticated(&self) -> bool {
        self.principal.is_some()
    }

    /// Whether the request was authenticated with an API key (see
    /// [`AuthLayer::api_key_header`](crate::AuthLayer::api_key_header)).
    pub(crate) fn is_api_key(&self) -> bool {
        self.principal.as_deref().is_some_and(Principal::is_api_key)
    }

    /// The verified credential's subject, if there is one.
    pub fn subject(&self) -> Option<&str> {
        self.principal.as_deref().map(Principal::subject)
    }

    /// Whether the request meets `requirement`; an unauthenticated request
    /// meets none.
    pub fn check(&self, requirement: &Requirement) -> Result<(), AuthError> {
        match &self.principal {
            Some(principal) => requirement.evaluate(principal.as_ref()),
            None => Err(AuthError::MissingToken),
        }
    }

    /// The realm of this layer's challenges.
    pub fn realm(&self) -> &str {
        self.responder.realm()
    }

    /// The response for `error`, rendered as the layer renders its own refusals.
    pub fn reject(&self, error: AuthError) -> Response {
        self.responder.reject(error).map(Body::from)
    }

    /// The context of a request; `Err` converts into the 500 answer for a
    /// route that no layer runs in front of.
    pub(crate) fn of(parts: &Parts) -> Result<&AuthContext, NoLayer> {
        parts.extensions.get::<AuthContext>().ok_or(NoLayer)
    }
}

/// No [`AuthContext`] in a request: no layer runs in front of the route.
pub(crate) struct NoLayer;

impl From<NoLayer> for Response {
    fn from(NoLayer: NoLayer) -> Self {
        Responder::default()
            .reject(AuthError::NotConfigured(
                "no AuthLayer runs in front of this route",
            ))
            .map(Body::from)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuthContext {
    type Rejection = Response;

    /// Answers 500 when no [`AuthLayer`](crate::AuthLayer) runs in front of the route.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        AuthContext::of(parts).cloned().map_err(Response::from)
    }
}

impl fmt::Debug for AuthContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthContext")
            .field("subject", &self.subject())
            .field("realm", &self.realm())
            .finish()
    }
}
