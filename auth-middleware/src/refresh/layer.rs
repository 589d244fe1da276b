//! The [`RefreshLayer`].

use std::fmt;
use std::sync::Arc;

use auth_core::Authenticator;
use tower_layer::Layer;

use super::{RefreshService, Shared};
use crate::cookies::CookieConfig;

/// A tower [`Layer`] refreshing a page's session transparently: when the
/// access cookie is missing or does not verify and a refresh cookie is
/// present, it calls [`Authenticator::refresh`] before the inner service.
///
/// - On success the request's `Cookie` header carries the new access (and
///   refresh) token, so an [`AuthLayer`](crate::AuthLayer) reading the access
///   cookie behind it sees the user, and the response sets both new cookies.
/// - On an invalid refresh token the request goes on without either cookie
///   (anonymous, for an [`optional`](crate::AuthLayer::optional) layer) and
///   the response deletes both. An unreachable store leaves the refresh
///   cookie alone, to be tried again on the next request.
/// - A dead access cookie without a refresh cookie is dropped and deleted the
///   same way.
/// - Requests with an `Authorization` header, and those whose access cookie
///   verifies, pass untouched.
///
/// A cookie the inner service sets itself (a login or logout page) wins over
/// the layer's. Put the layer outermost, over the pages only: a JSON client of
/// [`AuthRoutes`](crate::AuthRoutes) refreshes through `POST /refresh`, and
/// its refresh cookie must never be rotated behind its back.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use auth_core::{Algorithm, Authenticator, KeySet, MemoryStore, TokenIssuer};
/// use auth_middleware::{AuthLayer, AuthUser, CookieConfig, RefreshLayer};
/// use axum::{Router, routing::get};
///
/// async fn account(user: Option<AuthUser>) -> String {
///     user.map_or_else(|| "please log in".to_owned(), |user| format!("hello {}", user.subject()))
/// }
///
/// let issuer = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://id.example", "api");
/// let auth = Authenticator::builder(issuer, MemoryStore::new()).build().await?;
/// let cookies = CookieConfig::for_authenticator(&auth);
/// let pages: Router = Router::new()
///     .route("/account", get(account))
///     .layer(AuthLayer::new(auth.verifier()).cookie(cookies.access_name().to_owned()).optional())
///     .layer(RefreshLayer::new(auth.clone(), cookies));
/// # Ok(()) }
/// ```
///
/// Its service needs the inner service to be `Clone + Send + 'static` (the
/// refresh awaits the store before calling it); only a refreshing request's
/// future is boxed.
#[derive(Clone)]
pub struct RefreshLayer {
    shared: Arc<Shared>,
}

impl RefreshLayer {
    /// Refreshes with `authenticator`, reading and writing the cookies of
    /// `cookies` (whose lifetime, unless set, is the authenticator's refresh
    /// lifetime).
    pub fn new(authenticator: Authenticator, cookies: CookieConfig) -> Self {
        RefreshLayer {
            shared: Arc::new(Shared::new(authenticator, cookies)),
        }
    }
}

impl<S> Layer<S> for RefreshLayer {
    type Service = RefreshService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RefreshService::from_shared(inner, Arc::clone(&self.shared))
    }
}

impl fmt::Debug for RefreshLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshLayer")
            .field("cookies", &self.shared.cookies)
            .finish_non_exhaustive()
    }
}
