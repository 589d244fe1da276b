//! # auth-middleware
//!
//! Bearer-token authentication for any tower service, with axum extractors
//! and handler macros.
//!
//! - [`AuthLayer`] verifies each request's access token (from the
//!   `Authorization: Bearer` header or a cookie) with an
//!   [`auth_core::Verifier`] and answers refusals with the challenges of
//!   RFC 6750 §3 and RFC 9470, so no handler writes a `WWW-Authenticate`
//!   header or picks a status code by hand;
//! - [`AuthUser`] hands a handler the verified claims (`Option<AuthUser>`
//!   where a token is optional); plain tower services read the same value from
//!   the request's extensions;
//! - [`require_auth`] guards a handler with a [`policy`]: authenticated,
//!   `mfa`, `max_age = <seconds>`, `roles = [...]`, `scopes = [...]`,
//!   `any(...)`, `all(...)`;
//! - [`RenderRejection`] is the one place to change how every refusal looks;
//! - [`AuthLayer::api_key_header`] accepts API keys as a second credential
//!   ([`ApiKeyUser`], [`Caller`]);
//! - with the `router` feature (on by default), [`AuthRoutes`] mounts the
//!   flows of [`auth_core::Authenticator`] as JSON endpoints (register, login,
//!   MFA, refresh, logout, API keys), answering failures as [`ApiError`]s and
//!   reading bodies with [`JsonBody`];
//! - [`RefreshLayer`] refreshes the session of server-rendered pages
//!   transparently, with the cookies of a [`CookieConfig`].
//! - with the `grpc` feature, `AuthLayer::grpc` puts the layer in front of a
//!   tonic server, refusing with gRPC statuses (`UNAUTHENTICATED`,
//!   `PERMISSION_DENIED`), and `GrpcRequestExt` gives its handlers the caller
//!   and policy checks.
//!
//! ## Protect an API
//!
//! ```
//! use auth_core::{Algorithm, KeySet, TokenIssuer};
//! use auth_middleware::{AuthLayer, AuthUser, require_auth};
//! use axum::{Json, Router, http::StatusCode, routing::{get, post}};
//!
//! #[require_auth]
//! async fn me(user: AuthUser) -> String {
//!     format!("hello {}", user.subject())
//! }
//!
//! #[derive(serde::Deserialize)]
//! struct Payment {
//!     cents: u64,
//! }
//!
//! // 401 with an RFC 9470 challenge without MFA; 401, never 422, without a token.
//! #[require_auth(mfa)]
//! async fn billing(user: AuthUser, Json(payment): Json<Payment>) -> StatusCode {
//!     println!("{} pays {} cents", user.subject(), payment.cents);
//!     StatusCode::ACCEPTED
//! }
//!
//! #[require_auth(roles = ["admin"])]
//! async fn admin() -> &'static str {
//!     "welcome"
//! }
//!
//! let keys = KeySet::generate(Algorithm::EdDSA)?;
//! let tokens = TokenIssuer::new(keys, "https://api.example.com", "my-api");
//! let app: Router = Router::new()
//!     .route("/me", get(me))
//!     .route("/billing", post(billing))
//!     .route("/admin", get(admin))
//!     .layer(AuthLayer::bearer(tokens.verifier()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Your own claims
//!
//! ```
//! use auth_middleware::{AuthUser, Claims, require_auth};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Claims, Serialize, Deserialize)]
//! struct MyClaims {
//!     tenant: String,
//!     #[claims(roles)]
//!     groups: Vec<String>,
//! }
//!
//! #[require_auth(roles = ["editor"])]
//! async fn edit(user: AuthUser<MyClaims>) -> String {
//!     format!("{} edits for {}", user.subject(), user.claims().tenant)
//! }
//! ```
//!
//! The layer then needs a verifier for those claims:
//! `AuthLayer::bearer(tokens.verifier().with_claims::<MyClaims>())`.
//!
//! ## Any tower service
//!
//! ```
//! use std::convert::Infallible;
//! use auth_core::{Algorithm, KeySet, TokenIssuer};
//! use auth_middleware::{AuthLayer, AuthUser};
//! use http::{Request, Response};
//! use tower::ServiceBuilder;
//!
//! let tokens = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://api.example.com", "my-api");
//! let service = ServiceBuilder::new()
//!     .layer(AuthLayer::bearer(tokens.verifier()))
//!     .service_fn(|request: Request<String>| async move {
//!         // Verified, or the request never got here.
//!         let user = request.extensions().get::<AuthUser>().map(AuthUser::subject);
//!         Ok::<_, Infallible>(Response::new(format!("hello {user:?}")))
//!     });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Responses
//!
//! | situation | status | `WWW-Authenticate` |
//! |---|---|---|
//! | no token | 401 | `Bearer realm="api"` |
//! | token fails any check | 401 | `Bearer realm="api", error="invalid_token", error_description="the access token is invalid"` |
//! | unknown or deleted API key (with [`AuthLayer::api_key_header`]) | 401 | `Bearer realm="api", error="invalid_token", error_description="the API key is invalid"` |
//! | two `Authorization` headers, empty `Bearer` | 400 | `error="invalid_request"` |
//! | missing role or scope | 403 | `error="insufficient_scope"` (+ `scope="…"`) |
//! | missing MFA | 401 | `error="insufficient_user_authentication"` (RFC 9470 §3) |
//! | login older than a route's `max_age` | 401 | `error="insufficient_user_authentication", max_age=…` |
//!
//! Each comes with `{"error": "...", "error_description": "..."}` as
//! `application/json` and `Cache-Control: no-store`. Which token check failed
//! is logged (at `debug`, with `tracing`), never sent; the token itself is
//! neither.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// The crate docs link the `router` feature's items, absent without it.
#![cfg_attr(not(feature = "router"), allow(rustdoc::broken_intra_doc_links))]

mod auth;
mod cookies;
mod extract;
mod refresh;
mod response;
#[cfg(feature = "router")]
#[cfg_attr(docsrs, doc(cfg(feature = "router")))]
pub mod routes;
#[cfg(feature = "serve")]
#[cfg_attr(docsrs, doc(cfg(feature = "serve")))]
pub mod serve;

pub use auth::{AuthBody, AuthLayer, AuthService, ResponseFuture};
pub use auth_core;
pub use auth_core::Claims;
pub use cookies::CookieConfig;
#[cfg(feature = "router")]
#[cfg_attr(docsrs, doc(cfg(feature = "router")))]
pub use extract::Client;
#[cfg(feature = "grpc")]
#[cfg_attr(docsrs, doc(cfg(feature = "grpc")))]
pub use extract::GrpcRequestExt;
pub use extract::policy;
pub use extract::{ApiKeyUser, AuthContext, AuthUser, Caller};
pub use refresh::{RefreshFuture, RefreshLayer, RefreshService};
#[cfg(feature = "grpc")]
#[cfg_attr(docsrs, doc(cfg(feature = "grpc")))]
pub use response::GrpcRenderer;
pub use response::{AuthError, DefaultRenderer, InvalidRequest, Rejection, RenderRejection};
#[cfg(feature = "router")]
#[cfg_attr(docsrs, doc(cfg(feature = "router")))]
pub use routes::{ApiError, ApiErrorKind, AuthRoutes, JsonBody, MAX_BODY_BYTES};

/// What `#[require_auth]` expands to; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::extract::policy::{Guard, Policy, Requirement};
}

pub use auth_macros::{Claims, require_auth};

// The workspace README's code, compiled (and, where it does not serve
// forever, run) as doctests of this crate: it uses every feature.
#[cfg(all(
    doctest,
    feature = "oidc",
    feature = "remote-jwks",
    feature = "redis",
    feature = "serve",
    feature = "passkeys",
    feature = "grpc"
))]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
