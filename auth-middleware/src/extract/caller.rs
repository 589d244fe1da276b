//! Who called: a bearer token's user or an API key's owner.

use auth_core::Claims;
use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::Response;
use http::request::Parts;

use crate::extract::api_key::ApiKeyUser;
use crate::extract::context::AuthContext;
use crate::extract::user::{AuthUser, missing_user};
use crate::response::error::AuthError;

/// The caller of a route that takes either credential: a verified access
/// token or (behind [`AuthLayer::api_key_header`](crate::AuthLayer::api_key_header))
/// an API key. A token, when present, wins.
///
/// As an axum extractor it answers 401 (through the layer's renderer) when the
/// request has neither; `Option<Caller>` is `None` then.
///
/// ```
/// use auth_middleware::Caller;
///
/// async fn whoami(caller: Caller) -> String {
///     format!("{} via {}", caller.subject(), caller.via())
/// }
/// # let _ = axum::Router::<()>::new().route("/whoami", axum::routing::get(whoami));
/// ```
#[derive(Debug)]
pub enum Caller<C = ()> {
    /// An access token's verified claims.
    Bearer(AuthUser<C>),
    /// An API key's owner.
    ApiKey(ApiKeyUser),
}

impl<C: Claims> Caller<C> {
    /// The user id: the token's `sub`, or the key owner's id.
    pub fn subject(&self) -> &str {
        match self {
            Caller::Bearer(user) => user.subject(),
            Caller::ApiKey(key) => key.subject(),
        }
    }

    /// How the caller authenticated: `"bearer"` or `"api_key"`.
    pub fn via(&self) -> &'static str {
        match self {
            Caller::Bearer(_) => "bearer",
            Caller::ApiKey(_) => "api_key",
        }
    }
}

impl<C> Clone for Caller<C> {
    fn clone(&self) -> Self {
        match self {
            Caller::Bearer(user) => Caller::Bearer(user.clone()),
            Caller::ApiKey(key) => Caller::ApiKey(key.clone()),
        }
    }
}

/// The caller recorded in `parts`, if any.
fn caller<C: Claims>(parts: &Parts) -> Option<Caller<C>> {
    if let Some(user) = parts.extensions.get::<AuthUser<C>>() {
        return Some(Caller::Bearer(user.clone()));
    }
    parts
        .extensions
        .get::<ApiKeyUser>()
        .map(|key| Caller::ApiKey(key.clone()))
}

impl<C: Claims, S: Send + Sync> FromRequestParts<S> for Caller<C> {
    type Rejection = Response;

    /// Answers 401 without a credential, 500 when no
    /// [`AuthLayer`](crate::AuthLayer) runs in front of the route.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(caller) = caller(parts) {
            return Ok(caller);
        }
        let context = AuthContext::of(parts)?;
        Err(context.reject(missing_user(context)))
    }
}

impl<C: Claims, S: Send + Sync> OptionalFromRequestParts<S> for Caller<C> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if let Some(caller) = caller(parts) {
            return Ok(Some(caller));
        }
        let context = AuthContext::of(parts)?;
        match missing_user(context) {
            AuthError::MissingToken => Ok(None),
            error => Err(context.reject(error)),
        }
    }
}
