//! Assembling the app from its configuration: keys, store, authenticator, router.

use std::path::PathBuf;
use std::sync::Arc;

use auth_core::flow::FlowConfig;
use auth_core::{Authenticator, KeySet, MemoryStore, SigningKey, TokenIssuer};
use auth_middleware::{AuthLayer, AuthRoutes, CookieConfig};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::get;

use super::config::{self, Config, StoreConfig};
use super::{Error, api, logging, pages};

/// The realm every `WWW-Authenticate` challenge names.
pub(crate) const REALM: &str = "auth-demo";

/// The largest request body accepted (JSON or form).
const BODY_LIMIT: usize = 16 * 1024;

/// What every handler shares. Cloning is cheap.
#[derive(Clone)]
pub(crate) struct DemoState {
    /// The flows.
    pub(crate) auth: Authenticator,
    /// Names and lifetimes of the session cookies.
    pub(crate) cookies: CookieConfig,
    /// The app's own origin, the only one allowed to post forms.
    pub(crate) origin: Arc<str>,
}

/// Where the signing key came from, for the startup log.
enum KeyOrigin {
    /// Generated in memory: tokens do not survive a restart.
    Fresh,
    /// Loaded from (or generated into) this folder.
    Folder(PathBuf),
}

/// The assembled app: the router and what the startup log reports.
pub struct App {
    router: Router,
    key_origin: KeyOrigin,
    state: DemoState,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("auth", &self.state.auth)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Builds the app: refuses what this build cannot do (a Redis or
    /// PostgreSQL store, an OpenID Connect provider), loads or generates the
    /// signing key, builds the authenticator and the router. Nothing is
    /// logged until everything has succeeded, so a bad configuration shows
    /// as the one line of the returned error.
    pub async fn build(config: &Config) -> Result<App, Error> {
        let store = match &config.store {
            StoreConfig::Memory => MemoryStore::new(),
            StoreConfig::Redis(_) | StoreConfig::Postgres(_) => {
                return Err(Error::Config {
                    variable: config::STORE,
                    reason: "this build supports only `memory` yet \
                             (the Redis and PostgreSQL stores come in a later release)"
                        .into(),
                });
            }
        };
        if config.oidc.is_some() {
            return Err(Error::Config {
                variable: config::OIDC_ISSUER,
                reason: "external OpenID Connect login is not in this build yet; \
                         unset AUTH_DEMO_OIDC_ISSUER, AUTH_DEMO_OIDC_CLIENT_ID and \
                         AUTH_DEMO_OIDC_CLIENT_SECRET"
                    .into(),
            });
        }
        let (keys, key_origin) = load_keys(config).await?;
        let issuer = TokenIssuer::new(keys, config.issuer.as_str(), config.audience.as_str())
            .access_ttl(config.access_ttl);
        let flows = FlowConfig::default()
            .refresh_ttl(config.refresh_ttl)
            .max_failures(config.max_failures);
        let auth = Authenticator::builder(issuer, store.clone())
            .config(flows)
            .roles_for_new_user(|name| {
                // The demo's rule, so that the roles route can be exercised.
                if name == "admin" {
                    vec!["admin".to_owned()]
                } else {
                    Vec::new()
                }
            })
            .build()
            .await
            .map_err(|source| Error::Setup {
                variable: config::STORE,
                source,
            })?;
        let state = DemoState {
            cookies: CookieConfig::for_authenticator(&auth),
            origin: Arc::from(config.origin.as_str()),
            auth,
        };
        let router = router(state.clone(), store);
        Ok(App {
            router,
            key_origin,
            state,
        })
    }

    /// The router, to serve with `into_make_service_with_connect_info::<SocketAddr>()`
    /// (throttling counts failures per client address).
    pub fn into_router(self) -> Router {
        self.router
    }

    /// Logs what this instance runs with (no secrets).
    pub(crate) fn log_startup(&self, config: &Config) {
        let issuer = self.state.auth.issuer();
        let kid = issuer
            .keys()
            .signing_key()
            .map(|key| key.kid().to_owned())
            .unwrap_or_default();
        match &self.key_origin {
            KeyOrigin::Fresh => tracing::info!(
                alg = %config.alg,
                %kid,
                "signing with a fresh key generated for this start: tokens stop verifying \
                 after a restart (set AUTH_DEMO_KEY_DIR to keep the key)"
            ),
            KeyOrigin::Folder(dir) => tracing::info!(
                alg = %config.alg,
                %kid,
                dir = %dir.display(),
                "signing with the key of the key folder"
            ),
        }
        if config.trusted_hs256_secret.is_some() {
            tracing::info!(
                "also accepting HS256 tokens signed with AUTH_DEMO_TRUSTED_HS256_SECRET"
            );
        }
        tracing::info!(
            store = "memory",
            iss = issuer.issuer(),
            aud = issuer.audience(),
            access_ttl_secs = config.access_ttl.as_secs(),
            refresh_ttl_secs = config.refresh_ttl.as_secs(),
            max_failures = config.max_failures,
            oidc = "not configured",
            "auth-demo configured"
        );
    }
}

/// The signing keys: from `AUTH_DEMO_KEY_DIR` (generated there when it is
/// empty), else a fresh key; plus the verification-only key of
/// `AUTH_DEMO_TRUSTED_HS256_SECRET`.
async fn load_keys(config: &Config) -> Result<(KeySet, KeyOrigin), Error> {
    let alg = config.alg;
    let (keys, origin) = match &config.key_dir {
        Some(dir) => {
            let folder = dir.clone();
            // File I/O, and possibly waiting for another instance to finish
            // initialising the folder: keep it off the async workers.
            let keys =
                tokio::task::spawn_blocking(move || KeySet::load_or_generate_dir(folder, alg))
                    .await
                    .map_err(|_| Error::Config {
                        variable: config::KEY_DIR,
                        reason: "loading the key folder was interrupted".into(),
                    })?
                    .map_err(|source| Error::Setup {
                        variable: config::KEY_DIR,
                        source,
                    })?;
            (keys, KeyOrigin::Folder(dir.clone()))
        }
        None => {
            let keys = KeySet::generate(alg).map_err(|source| Error::Setup {
                variable: config::ALG,
                source,
            })?;
            (keys, KeyOrigin::Fresh)
        }
    };
    if let Some(secret) = &config.trusted_hs256_secret {
        let setup = |source| Error::Setup {
            variable: config::TRUSTED_HS256_SECRET,
            source,
        };
        // Only its verifying half joins the set: this app never signs with
        // the peer's secret, and never publishes it (JWKS skips HS256 keys).
        let peer = SigningKey::hs256(secret.expose().as_bytes(), None).map_err(setup)?;
        keys.add_verifying_key(peer.verifying_key().clone())
            .map_err(setup)?;
    }
    Ok((keys, origin))
}

/// The whole router. The API routes accept a bearer token or an API key; the
/// flows under `/auth` a bearer token where they need one (both layers are
/// optional: each route's extractor or guard decides); the pages use cookies.
fn router(state: DemoState, store: MemoryStore) -> Router {
    let verifier = state.auth.verifier();
    let flows = AuthRoutes::new(state.auth.clone())
        .cookies(state.cookies.clone())
        .allowed_origin(state.origin.as_ref())
        .realm(REALM)
        .into_router::<DemoState>()
        .route("/oidc/login", get(api::oidc_not_configured))
        .route("/oidc/callback", get(api::oidc_not_configured))
        .layer(
            AuthLayer::new(verifier.clone())
                .bearer_header()
                .optional()
                .realm(REALM),
        );
    let api = api::router().layer(
        AuthLayer::new(verifier)
            .bearer_header()
            .api_key_header(store)
            .optional()
            .realm(REALM),
    );
    Router::new()
        .nest("/auth", flows)
        .merge(api)
        .merge(api::public_router())
        .merge(pages::router(&state))
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(logging::log_requests))
        .with_state(state)
}
