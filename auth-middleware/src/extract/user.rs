//! The verified user of a request.

use std::fmt;
use std::sync::Arc;

use auth_core::{AccessClaims, Claims};
use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::Response;
use http::request::Parts;

use crate::extract::context::AuthContext;
use crate::extract::policy::Requirement;
use crate::response::error::AuthError;

/// The verified claims of a request's access token, with the application's
/// own claims `C` (`()` for none).
///
/// The [`AuthLayer`](crate::AuthLayer) puts one into the request's extensions
/// when the token verifies, so any tower service can read it:
///
/// ```
/// use auth_middleware::AuthUser;
///
/// fn greet<B>(request: &http::Request<B>) -> String {
///     match request.extensions().get::<AuthUser>() {
///         Some(user) => format!("hello {}", user.subject()),
///         None => "hello stranger".to_owned(),
///     }
/// }
/// ```
///
/// In axum it is an extractor: `AuthUser` answers 401 (through the layer's
/// renderer) when the request has no verified token, and `Option<AuthUser>`
/// is `None` then, behind an [`optional`](crate::AuthLayer::optional) layer.
///
/// ```
/// use auth_middleware::AuthUser;
///
/// async fn me(user: AuthUser) -> String {
///     format!("{} has roles {:?}", user.subject(), user.roles())
/// }
///
/// async fn front_page(user: Option<AuthUser>) -> String {
///     user.map_or_else(|| "welcome".to_owned(), |user| format!("welcome back, {}", user.subject()))
/// }
/// # let _ = axum::Router::<()>::new()
/// #     .route("/me", axum::routing::get(me))
/// #     .route("/", axum::routing::get(front_page));
/// ```
///
/// Without an [`AuthLayer`](crate::AuthLayer) in front of the route, or with
/// one verifying another claims type than `C`, both answer 500: a wiring
/// mistake shows at the first request instead of passing as "anonymous".
///
/// Cloning is cheap: the claims are shared, allocated once per request.
pub struct AuthUser<C = ()> {
    claims: Arc<AccessClaims<C>>,
}

impl<C: Claims> AuthUser<C> {
    pub(crate) fn new(claims: Arc<AccessClaims<C>>) -> Self {
        AuthUser { claims }
    }

    /// The subject (`sub`): the stable user id.
    pub fn subject(&self) -> &str {
        self.claims.subject()
    }

    /// The application's own claims.
    pub fn claims(&self) -> &C {
        &self.claims.extra
    }

    /// Every verified claim: the registered ones and the application's own.
    pub fn access_claims(&self) -> &AccessClaims<C> {
        &self.claims
    }

    /// The user's roles (the application's roles field when `C` names one).
    pub fn roles(&self) -> &[String] {
        self.claims.roles()
    }

    /// Whether the user has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.claims.has_role(role)
    }

    /// The scopes granted to the token.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.claims.scopes()
    }

    /// Whether `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.claims.has_scope(scope)
    }

    /// Whether the user passed multi-factor authentication (`amr` holds `mfa`).
    pub fn is_mfa(&self) -> bool {
        self.claims.is_mfa()
    }

    /// The authentication methods used (RFC 8176), e.g. `["pwd", "otp", "mfa"]`.
    pub fn amr(&self) -> &[String] {
        &self.claims.amr
    }

    /// Whether the user meets `requirement`, for a policy only known at run
    /// time (a configured maximum age, say); `#[require_auth(...)]` covers
    /// the ones known when compiling.
    ///
    /// ```
    /// use auth_middleware::policy::Requirement;
    /// use auth_middleware::{ApiError, AuthUser};
    ///
    /// async fn change_email(user: AuthUser) -> Result<&'static str, ApiError> {
    ///     let max_age = 300; // from the configuration
    ///     user.meets(&Requirement::RecentAuth(max_age))?;
    ///     Ok("changed")
    /// }
    /// # let _ = axum::Router::<()>::new().route("/email", axum::routing::post(change_email));
    /// ```
    pub fn meets(&self, requirement: &Requirement) -> Result<(), AuthError> {
        requirement.evaluate(&*self.claims)
    }
}

impl<C> Clone for AuthUser<C> {
    fn clone(&self) -> Self {
        AuthUser {
            claims: Arc::clone(&self.claims),
        }
    }
}

impl<C: fmt::Debug> fmt::Debug for AuthUser<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AuthUser").field(&self.claims).finish()
    }
}

impl<C: Claims, S: Send + Sync> FromRequestParts<S> for AuthUser<C> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<AuthUser<C>>() {
            return Ok(user.clone());
        }
        let context = AuthContext::of(parts)?;
        Err(context.reject(missing_user(context)))
    }
}

impl<C: Claims, S: Send + Sync> OptionalFromRequestParts<S> for AuthUser<C> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<AuthUser<C>>() {
            return Ok(Some(user.clone()));
        }
        let context = AuthContext::of(parts)?;
        match missing_user(context) {
            AuthError::MissingToken => Ok(None),
            error => Err(context.reject(error)),
        }
    }
}

/// Why a request that passed the layer has no `AuthUser<C>`: no token (behind
/// an optional layer, or an API key where a token is needed), or a layer
/// verifying another claims type.
pub(crate) fn missing_user(context: &AuthContext) -> AuthError {
    if context.is_authenticated() && !context.is_api_key() {
        AuthError::NotConfigured(
            "the AuthLayer verifies another claims type than this AuthUser asks for",
        )
    } else {
        AuthError::MissingToken
    }
}
