//! [`AuthRoutes`]: the flows of auth-core as mountable JSON endpoints.

mod api_keys;
mod error;
mod json;
mod mfa;
#[cfg(feature = "oidc")]
mod oidc;
#[cfg(feature = "passkeys")]
mod passkeys;
mod register_login;
mod reply;
mod session;

use std::fmt;
use std::sync::Arc;

use auth_core::Authenticator;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};

use crate::cookies::CookieConfig;
use crate::response::rejection::DEFAULT_REALM;
pub use error::{ApiError, ApiErrorKind};
pub use json::{JsonBody, MAX_BODY_BYTES};

/// The authentication flows as an axum [`Router`] of JSON endpoints, to nest
/// where the application wants them (paths below are relative to that):
///
/// | route | needs | success |
/// |---|---|---|
/// | `POST /register` `{"username","password"}` | — | 201 `{"user_id"}` |
/// | `POST /login` `{"username","password"}` | — | 200 token response + refresh cookie, or `{"mfa_required": true, "mfa_token", "expires_in", "methods"}` |
/// | `POST /mfa/verify` `{"mfa_token","code"}` or `{"mfa_token","credential"}` | — | 200 token response + refresh cookie |
/// | `POST /mfa/passkey/options` `{"mfa_token"}` (feature `passkeys`) | — | 200 `{"publicKey"}`, the user's passkeys allowed |
/// | `POST /mfa/totp/enroll` | bearer | 200 `{"secret","otpauth_uri","qr_svg"}` |
/// | `POST /mfa/totp/confirm` `{"code"}` | bearer | 200 `{"recovery_codes"}` |
/// | `POST /refresh` | refresh cookie, same-origin | 200 token response + the next refresh cookie |
/// | `POST /logout` | bearer (+ refresh cookie) | 204, cookies cleared |
/// | `POST /logout-all` | bearer | 204, cookies cleared |
/// | `GET /sessions` | bearer | 200 `{"sessions": [{"id","created_at","last_used_at","ip","user_agent","current"}]}` |
/// | `DELETE /sessions/{id}` | bearer, recent | 204; that session's tokens are refused |
/// | `POST /api-keys` `{"name"}` | bearer | 201 `{"id","key"}` |
/// | `DELETE /api-keys/{id}` | bearer | 204 |
/// | `POST /passkeys/register/options` (feature `passkeys`) | bearer, recent | 200 `{"publicKey"}` |
/// | `POST /passkeys/register` `{"credential","name"?}` | bearer, recent | 201 `{"id","name"}` |
/// | `GET /passkeys` | bearer | 200 `{"passkeys": [{"id","name","created_at","last_used_at"}]}` |
/// | `DELETE /passkeys/{id}` | bearer, recent | 204 |
/// | `POST /passkeys/login/options` | — | 200 `{"ceremony","publicKey"}` |
/// | `POST /passkeys/login` `{"ceremony","credential"}` | — | 200 token response + refresh cookie |
/// | `GET /{provider}/login` (feature `oidc`) | — | 302 to the provider, login cookie set |
/// | `GET /{provider}/callback?code&state` (feature `oidc`) | login cookie | 200 token response + refresh cookie |
///
/// A token response is `{"access_token", "token_type": "Bearer",
/// "expires_in"}`; the refresh token travels only in the refresh cookie.
/// Failures are [`ApiError`]s; bodies are read with [`JsonBody`],
/// at most 16 KiB. A `POST /refresh` with an `Origin` header other than the
/// [allowed origin](AuthRoutes::allowed_origin) is refused with 403, since a
/// cookie is all it needs.
///
/// The bearer routes read the caller with [`AuthUser`](crate::AuthUser), so
/// an [`AuthLayer`](crate::AuthLayer) in optional mode must run in front of
/// them (and of the public routes, which it lets through). The client address
/// for login throttling comes from axum's `ConnectInfo<SocketAddr>` when the
/// server provides it (`into_make_service_with_connect_info::<SocketAddr>()`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use auth_core::{Algorithm, Authenticator, KeySet, MemoryStore, TokenIssuer};
/// use auth_middleware::{AuthLayer, AuthRoutes};
/// use axum::Router;
///
/// let issuer = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://id.example", "api");
/// let auth = Authenticator::builder(issuer, MemoryStore::new()).build().await?;
/// let app: Router = Router::new()
///     .nest("/auth", AuthRoutes::new(auth.clone()).realm("example").into_router())
///     .layer(AuthLayer::bearer(auth.verifier()).optional().realm("example"));
/// # Ok(()) }
/// ```
#[must_use]
pub struct AuthRoutes {
    authenticator: Authenticator,
    cookies: CookieConfig,
    allowed_origin: Option<String>,
    realm: Arc<str>,
    #[cfg(feature = "oidc")]
    oidc: Vec<Arc<auth_core::external::ProviderLogin>>,
}

impl AuthRoutes {
    /// The endpoints of `authenticator`'s flows, with the default
    /// [`CookieConfig`] (its lifetime the authenticator's), the origin of the
    /// issuer (`iss`) as the allowed origin, and the realm `"api"`.
    pub fn new(authenticator: Authenticator) -> Self {
        AuthRoutes {
            authenticator,
            cookies: CookieConfig::default(),
            allowed_origin: None,
            realm: Arc::from(DEFAULT_REALM),
            #[cfg(feature = "oidc")]
            oidc: Vec::new(),
        }
    }

    /// Adds login with an external provider (OpenID Connect, or plain
    /// OAuth2) at `GET /{name}/login` and `GET /{name}/callback` (`name` is
    /// the provider's); the callback URL must be the `redirect_uri` the login
    /// was built with. A failed callback answers 400 `invalid_request`, or
    /// 400 with the provider's own error code when it sent one. Call once per
    /// provider.
    #[cfg(feature = "oidc")]
    #[cfg_attr(docsrs, doc(cfg(feature = "oidc")))]
    pub fn external_login(
        mut self,
        login: impl Into<Arc<auth_core::external::ProviderLogin>>,
    ) -> Self {
        self.oidc.push(login.into());
        self
    }

    /// The session cookies' names and lifetime.
    pub fn cookies(mut self, cookies: CookieConfig) -> Self {
        self.cookies = cookies;
        self
    }

    /// The application's own origin, `scheme://host[:port]` as browsers send
    /// it in `Origin` (e.g. `"http://127.0.0.1:3000"`; a trailing `/` is
    /// dropped). `POST /refresh` compares the header to it byte for byte.
    /// Without this, the origin of the issuer's `iss` is used; if `iss` is
    /// not a URL, every request with an `Origin` header is refused.
    pub fn allowed_origin(mut self, origin: impl Into<String>) -> Self {
        let mut origin = origin.into();
        if origin.ends_with('/') {
            origin.pop();
        }
        self.allowed_origin = Some(origin);
        self
    }

    /// The realm of the `WWW-Authenticate` challenge on 401 answers; use the
    /// [`AuthLayer`](crate::AuthLayer)'s.
    pub fn realm(mut self, realm: impl Into<Arc<str>>) -> Self {
        self.realm = realm.into();
        self
    }

    /// The router, for any application state `S` (the routes keep their own).
    pub fn into_router<S>(self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let allowed_origin = self
            .allowed_origin
            .or_else(|| origin_of(self.authenticator.issuer().issuer()));
        let routes = Routes(Arc::new(Shared {
            cookies: self.cookies.resolved_for(&self.authenticator),
            authenticator: self.authenticator,
            allowed_origin,
            realm: self.realm,
        }));
        let router = Router::new()
            .route("/register", post(register_login::register))
            .route("/login", post(register_login::login))
            .route("/mfa/verify", post(mfa::verify))
            .route("/mfa/totp/enroll", post(mfa::enroll))
            .route("/mfa/totp/confirm", post(mfa::confirm))
            .route("/refresh", post(session::refresh))
            .route("/logout", post(session::logout))
            .route("/logout-all", post(session::logout_all))
            .route("/sessions", get(session::list))
            .route("/sessions/{id}", delete(session::end))
            .route("/api-keys", post(api_keys::create))
            .route("/api-keys/{id}", delete(api_keys::revoke));
        #[cfg(feature = "passkeys")]
        let router = router
            .route(
                "/passkeys/register/options",
                post(passkeys::registration_options),
            )
            .route("/passkeys/register", post(passkeys::register))
            .route("/passkeys", get(passkeys::list))
            .route("/passkeys/{id}", delete(passkeys::delete))
            .route("/passkeys/login/options", post(passkeys::sign_in_options))
            .route("/passkeys/login", post(passkeys::sign_in))
            .route("/mfa/passkey/options", post(passkeys::second_step_options));
        #[cfg(feature = "oidc")]
        let router = self.oidc.into_iter().fold(router, |router, login| {
            use axum::extract::{Query, State};
            let name = login.name().to_owned();
            let for_callback = Arc::clone(&login);
            router
                .route(
                    &format!("/{name}/login"),
                    get(move |State(routes): State<Routes>| oidc::login(routes, login)),
                )
                .route(
                    &format!("/{name}/callback"),
                    get(
                        move |State(routes): State<Routes>,
                              crate::Client(client): crate::Client,
                              headers: http::HeaderMap,
                              query: Result<Query<auth_core::external::Callback>, _>| {
                            oidc::callback(routes, for_callback, client, headers, query)
                        },
                    ),
                )
        });
        router
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(routes)
    }
}

impl fmt::Debug for AuthRoutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRoutes")
            .field("cookies", &self.cookies)
            .field("allowed_origin", &self.allowed_origin)
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

/// The state of every handler.
#[derive(Clone)]
struct Routes(Arc<Shared>);

struct Shared {
    authenticator: Authenticator,
    cookies: CookieConfig,
    allowed_origin: Option<String>,
    realm: Arc<str>,
}

impl std::ops::Deref for Routes {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Shared {
    /// `error` as answered in this router's realm.
    fn error(&self, error: impl Into<ApiError>) -> ApiError {
        error.into().realm(Arc::clone(&self.realm))
    }
}

/// `scheme://authority` of a URL, as an `Origin` header would carry it.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    (!scheme.is_empty() && !authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins_of_issuers() {
        assert_eq!(
            origin_of("http://127.0.0.1:3000").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(
            origin_of("https://id.example/realms/x?y#z").as_deref(),
            Some("https://id.example")
        );
        assert_eq!(origin_of("id.example"), None);
        assert_eq!(origin_of("https://"), None);
    }
}
