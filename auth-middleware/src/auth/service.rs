//! The [`AuthService`]: the layer applied to a service.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use auth_core::{Claims, TokenVerifier, Verifier};
use http::{Request, Response};
use tower_service::Service;

use crate::auth::body::AuthBody;
use crate::auth::future::ResponseFuture;
use crate::auth::layer::{AuthLayer, Config, Credential};
use crate::extract::api_key::ApiKeyUser;
use crate::extract::context::{AuthContext, Principal};
use crate::extract::user::AuthUser;

/// Verifies each request's access token before calling the inner service `S`;
/// made by an [`AuthLayer`].
///
/// Verification is synchronous and happens in `call`: a refused request
/// never reaches `S` and is answered by a [`ResponseFuture`] that is ready at
/// once. `poll_ready` is `S`'s own.
///
/// ```
/// use std::convert::Infallible;
/// use auth_core::{Algorithm, KeySet, TokenIssuer, TokenRequest};
/// use auth_middleware::{AuthLayer, AuthService, AuthUser};
/// use http::{Request, Response};
/// use tower::{Service, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let tokens = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://api.example", "api");
/// let hello = service_fn(|request: Request<String>| async move {
///     let user = request.extensions().get::<AuthUser>().map(AuthUser::subject).unwrap_or("nobody");
///     Ok::<_, Infallible>(Response::new(http_body_util::Full::<bytes::Bytes>::from(format!("hello {user}"))))
/// });
/// let service = AuthService::new(hello, AuthLayer::bearer(tokens.verifier()));
///
/// let token = tokens.issue(&TokenRequest::new("ada"))?.access_token;
/// let request = Request::get("/").header("authorization", format!("Bearer {token}")).body(String::new())?;
/// let response = service.oneshot(request).await?;
/// assert_eq!(response.status(), 200);
/// # Ok(())
/// # }
/// ```
pub struct AuthService<S, C = (), V = Verifier<C>> {
    inner: S,
    config: Arc<Config<C, V>>,
}

impl<S, C: Claims, V: TokenVerifier<Claims = C>> AuthService<S, C, V> {
    /// Wraps `inner` with `layer`'s configuration (the same as
    /// `layer.layer(inner)`).
    pub fn new(inner: S, layer: AuthLayer<C, V>) -> Self {
        tower_layer::Layer::layer(&layer, inner)
    }

    pub(crate) fn from_config(inner: S, config: Arc<Config<C, V>>) -> Self {
        AuthService { inner, config }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, consuming this one.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, C, V, ReqBody, ResBody> Service<Request<ReqBody>> for AuthService<S, C, V>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    C: Claims,
    V: TokenVerifier<Claims = C>,
{
    type Response = Response<AuthBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let credential = match self.config.authenticate(request.headers()) {
            Ok(credential) => credential,
            Err(error) => return ResponseFuture::rejected(self.config.responder.reject(error)),
        };
        let extensions = request.extensions_mut();
        let principal = credential.map(|credential| match credential {
            Credential::Token(claims) => {
                extensions.insert(AuthUser::new(Arc::clone(&claims)));
                claims as Arc<dyn Principal>
            }
            Credential::ApiKey(user) => {
                extensions.insert(ApiKeyUser::clone(&user));
                user as Arc<dyn Principal>
            }
        });
        extensions.insert(AuthContext::new(
            principal,
            Arc::clone(&self.config.responder),
        ));
        ResponseFuture::inner(self.inner.call(request))
    }
}

impl<S: Clone, C, V> Clone for AuthService<S, C, V> {
    fn clone(&self) -> Self {
        AuthService {
            inner: self.inner.clone(),
            config: Arc::clone(&self.config),
        }
    }
}

impl<S: fmt::Debug, C, V: fmt::Debug> fmt::Debug for AuthService<S, C, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthService")
            .field("inner", &self.inner)
            .field("config", &self.config)
            .finish()
    }
}
