//! The [`AuthLayer`] and its configuration.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use auth_core::store::ApiKeyView;
use auth_core::{AccessClaims, Claims, TokenRejection, TokenVerifier, Verifier};
use http::HeaderMap;
use tower_layer::Layer;

use crate::auth::service::AuthService;
use crate::auth::source::{TokenSource, find_token};
use crate::extract::api_key::{ApiKeyUser, api_key_user};
use crate::response::error::AuthError;
use crate::response::rejection::{RenderRejection, Responder};

/// A tower [`Layer`] that verifies each request's access token and refuses
/// the request when there is none or it does not verify.
///
/// On success the inner service sees an [`AuthUser<C>`](crate::AuthUser) and
/// an [`AuthContext`](crate::AuthContext) in the request's extensions. On
/// failure it is not called; the client gets 401 with a `WWW-Authenticate:
/// Bearer` challenge (RFC 6750 §3, RFC 9110 §15.5.2), or 400 `invalid_request`
/// for malformed credentials, rendered by the configured
/// [`RenderRejection`].
///
/// It wraps any `Service<http::Request<B>, Response = http::Response<ResBody>>`:
/// an axum `Router`, a `tower::service_fn`, a hyper service.
///
/// ```
/// use auth_core::{Algorithm, KeySet, TokenIssuer};
/// use auth_middleware::{AuthLayer, AuthUser};
/// use axum::{Router, routing::get};
///
/// let tokens = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://api.example", "api");
///
/// async fn me(user: AuthUser) -> String {
///     format!("hello {}", user.subject())
/// }
///
/// let app: Router = Router::new()
///     .route("/me", get(me))
///     .layer(AuthLayer::bearer(tokens.verifier()).realm("example"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The verifier is a [`Verifier`] by default; any [`TokenVerifier`] fits,
/// such as the [`TrustedIssuers`](auth_core::TrustedIssuers) of
/// [`Verifier::any`], which accepts the tokens of several issuers.
///
/// Cloning is cheap: the configuration is shared.
pub struct AuthLayer<C = (), V = Verifier<C>> {
    config: Arc<Config<C, V>>,
}

/// What every [`AuthService`] of one layer shares.
pub(crate) struct Config<C, V = Verifier<C>> {
    verifier: V,
    sources: Vec<TokenSource>,
    /// `sources` holds the default (the `Authorization` header), to be
    /// replaced by the first source configured explicitly.
    default_sources: bool,
    /// Where `X-API-Key` headers are looked up; `None`: the header is ignored.
    api_keys: Option<Arc<dyn ApiKeyView>>,
    optional: bool,
    pub(crate) responder: Arc<Responder>,
    claims: PhantomData<fn() -> C>,
}

/// What a request proved.
pub(crate) enum Credential<C> {
    /// A verified access token.
    Token(Arc<AccessClaims<C>>),
    /// A live API key.
    ApiKey(Arc<ApiKeyUser>),
}

impl<C, V: Clone> Clone for Config<C, V> {
    fn clone(&self) -> Self {
        Config {
            verifier: self.verifier.clone(),
            sources: self.sources.clone(),
            default_sources: self.default_sources,
            api_keys: self.api_keys.clone(),
            optional: self.optional,
            responder: Arc::clone(&self.responder),
            claims: PhantomData,
        }
    }
}

impl<C: Claims, V: TokenVerifier<Claims = C>> Config<C, V> {
    /// The request's verified credential, `None` when it carries none and
    /// the layer is optional. A token, when present, decides alone: an API
    /// key is looked at only without one.
    pub(crate) fn authenticate(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<Credential<C>>, AuthError> {
        if let Some(token) = find_token(&self.sources, headers)? {
            return match self.verifier.verify_token(token) {
                Ok(claims) => Ok(Some(Credential::Token(claims))),
                // Not the token's fault: the revocation view is too old to
                // trust (fail closed), so the answer is 503, not 401.
                Err(TokenRejection::RevocationsStale) => Err(AuthError::Unavailable),
                Err(reason) => Err(AuthError::InvalidToken(reason)),
            };
        }
        if let Some(view) = &self.api_keys
            && let Some(user) = api_key_user(view.as_ref(), headers)?
        {
            return Ok(Some(Credential::ApiKey(Arc::new(user))));
        }
        if self.optional {
            Ok(None)
        } else {
            Err(AuthError::MissingToken)
        }
    }
}

impl<C: Claims, V: TokenVerifier<Claims = C>> AuthLayer<C, V> {
    /// A layer verifying tokens with `verifier`, read from the `Authorization:
    /// Bearer` header unless other sources are configured
    /// ([`AuthLayer::bearer_header`], [`AuthLayer::cookie`]).
    ///
    /// ```
    /// use auth_core::{Algorithm, KeySet, TokenIssuer};
    /// use auth_middleware::AuthLayer;
    ///
    /// let tokens = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://api.example", "api");
    /// // Pages send a cookie, scripts a header: try the header first.
    /// let layer = AuthLayer::new(tokens.verifier())
    ///     .bearer_header()
    ///     .cookie("__Host-access")
    ///     .realm("auth-demo");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(verifier: V) -> Self {
        AuthLayer {
            config: Arc::new(Config {
                verifier,
                sources: vec![TokenSource::Bearer],
                default_sources: true,
                api_keys: None,
                optional: false,
                responder: Arc::new(Responder::default()),
                claims: PhantomData,
            }),
        }
    }

    /// A layer verifying the `Authorization: Bearer` token of each request
    /// with `verifier`; the quickstart's one line.
    ///
    /// ```
    /// use auth_core::{Algorithm, KeySet, TokenIssuer};
    /// use auth_middleware::AuthLayer;
    ///
    /// let tokens = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://api.example", "api");
    /// let layer = AuthLayer::bearer(tokens.verifier());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bearer(verifier: V) -> Self {
        AuthLayer::new(verifier).bearer_header()
    }

    /// Also look in the `Authorization` header for a `Bearer` token (RFC 6750
    /// §2.1; the scheme is case-insensitive). Sources are tried in the order
    /// they are added.
    ///
    /// Another scheme (`Basic`, …) counts as no token, so the next source is
    /// tried; several `Authorization` headers, or `Bearer` with no token, are
    /// refused with 400 `invalid_request`.
    ///
    /// (The constructor [`AuthLayer::bearer`] holds the shorter name.)
    #[must_use]
    pub fn bearer_header(self) -> Self {
        self.add_source(TokenSource::Bearer)
    }

    /// Also look for the token in the cookie `name` (e.g. `"__Host-access"`).
    /// Sources are tried in the order they are added.
    ///
    /// ```
    /// use auth_core::{Algorithm, KeySet, TokenIssuer};
    /// use auth_middleware::AuthLayer;
    ///
    /// let tokens = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://api.example", "api");
    /// let pages_only = AuthLayer::new(tokens.verifier()).cookie("__Host-access");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn cookie(self, name: impl Into<Cow<'static, str>>) -> Self {
        self.add_source(TokenSource::Cookie(name.into()))
    }

    /// Also accept API keys in the `X-API-Key` header, looked up in `view`
    /// (an [`ApiKeyView`] such as [`MemoryStore`](auth_core::MemoryStore):
    /// a synchronous, in-memory lookup, so the request path never awaits).
    ///
    /// A live key puts an [`ApiKeyUser`] into the request's extensions and
    /// counts as authenticated for `#[require_auth]` (with no roles, scopes
    /// or MFA); [`AuthUser`](crate::AuthUser) stays absent, so routes that
    /// need a bearer token still refuse it, and [`Caller`](crate::Caller)
    /// accepts either. An unknown, malformed or revoked key answers 401
    /// `invalid_token`. A token in a configured source, when present, wins and
    /// the key is not looked at.
    ///
    /// ```
    /// use auth_core::{Algorithm, KeySet, MemoryStore, TokenIssuer};
    /// use auth_middleware::AuthLayer;
    ///
    /// let tokens = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://api.example", "api");
    /// let store = MemoryStore::new();
    /// let layer = AuthLayer::bearer(tokens.verifier()).api_key_header(store.clone());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn api_key_header(mut self, view: impl ApiKeyView) -> Self {
        self.config_mut().api_keys = Some(Arc::new(view));
        self
    }

    /// Let requests without a token through, with no
    /// [`AuthUser`](crate::AuthUser) in their extensions (handlers then take
    /// `Option<AuthUser>`, and guards still refuse them with 401). A token
    /// that is present but invalid is still refused.
    ///
    /// ```
    /// use auth_core::{Algorithm, KeySet, TokenIssuer};
    /// use auth_middleware::AuthLayer;
    ///
    /// let tokens = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://api.example", "api");
    /// let layer = AuthLayer::bearer(tokens.verifier()).optional();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn optional(mut self) -> Self {
        self.config_mut().optional = true;
        self
    }

    /// The `realm` named in every challenge (`"api"` by default). It is
    /// escaped as a quoted-string; control characters are dropped.
    #[must_use]
    pub fn realm(mut self, realm: impl Into<Arc<str>>) -> Self {
        let config = self.config_mut();
        config.responder = Arc::new(config.responder.with_realm(realm.into()));
        self
    }

    /// Render every rejection, the layer's and its extractors', with
    /// `renderer` (a [`RenderRejection`] or a closure
    /// `Fn(&Rejection) -> http::Response<Bytes>`) instead of the
    /// [`DefaultRenderer`](crate::DefaultRenderer).
    ///
    /// ```
    /// use auth_core::{Algorithm, KeySet, TokenIssuer};
    /// use auth_middleware::{AuthLayer, Rejection};
    /// use bytes::Bytes;
    ///
    /// let tokens = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://api.example", "api");
    /// let layer = AuthLayer::bearer(tokens.verifier()).on_rejection(|rejection: &Rejection| {
    ///     let mut response = rejection.default_response();
    ///     *response.body_mut() = Bytes::from(format!("<p>{}</p>", rejection.error().description()));
    ///     response.headers_mut().insert("content-type", "text/html".parse().unwrap());
    ///     response
    /// });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn on_rejection(mut self, renderer: impl RenderRejection) -> Self {
        let config = self.config_mut();
        config.responder = Arc::new(config.responder.with_renderer(Arc::new(renderer)));
        self
    }

    /// Answer refusals as gRPC statuses instead of HTTP errors, for a gRPC
    /// server such as tonic's (`Server::builder().layer(...)`): a
    /// trailers-only response with `grpc-status` `UNAUTHENTICATED` for
    /// missing or invalid credentials and `PERMISSION_DENIED` for policy
    /// failures (see [`GrpcRenderer`](crate::GrpcRenderer), which this
    /// installs as [`on_rejection`](AuthLayer::on_rejection) does).
    ///
    /// Tokens come from the `authorization` metadata (`Bearer …`), as any gRPC
    /// client sends them; handlers read the caller and check policies with
    /// [`GrpcRequestExt`](crate::GrpcRequestExt).
    ///
    /// ```
    /// use auth_core::{Algorithm, KeySet, TokenIssuer};
    /// use auth_middleware::AuthLayer;
    ///
    /// let tokens = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://api.example", "api");
    /// let layer = AuthLayer::bearer(tokens.verifier()).grpc();
    /// // tonic::transport::Server::builder().layer(layer).add_service(...)
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "grpc")]
    #[cfg_attr(docsrs, doc(cfg(feature = "grpc")))]
    #[must_use]
    pub fn grpc(self) -> Self {
        self.on_rejection(crate::GrpcRenderer)
    }

    fn add_source(mut self, source: TokenSource) -> Self {
        let config = self.config_mut();
        if std::mem::take(&mut config.default_sources) {
            config.sources.clear();
        }
        if !config.sources.contains(&source) {
            config.sources.push(source);
        }
        self
    }

    fn config_mut(&mut self) -> &mut Config<C, V> {
        Arc::make_mut(&mut self.config)
    }
}

impl<S, C: Claims, V: TokenVerifier<Claims = C>> Layer<S> for AuthLayer<C, V> {
    type Service = AuthService<S, C, V>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService::from_config(inner, Arc::clone(&self.config))
    }
}

impl<C, V> Clone for AuthLayer<C, V> {
    fn clone(&self) -> Self {
        AuthLayer {
            config: Arc::clone(&self.config),
        }
    }
}

impl<C, V: fmt::Debug> fmt::Debug for AuthLayer<C, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.config.fmt(f)
    }
}

impl<C, V: fmt::Debug> fmt::Debug for Config<C, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthLayer")
            .field("verifier", &self.verifier)
            .field("sources", &self.sources)
            .field("api_keys", &self.api_keys.is_some())
            .field("optional", &self.optional)
            .field("realm", &self.responder.realm())
            .finish()
    }
}
