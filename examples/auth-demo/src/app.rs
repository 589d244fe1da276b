//! Assembling the app from its configuration: keys, store, authenticator, router.

use std::path::PathBuf;
use std::sync::Arc;

use std::time::Duration;

use auth_core::external::{OidcProvider, ProviderLogin};
use auth_core::flow::FlowConfig;
use auth_core::{
    KeySet, PasswordPolicy, RevocationList, ServerSecret, SigningKey, TokenIssuer, TrustedIssuers,
    Validation, Verifier,
};
use auth_middleware::{AuthLayer, AuthRoutes, CookieConfig};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::get;

use super::config::{self, Config};
use super::store;
use super::usernames::Usernames;
use super::{Error, api, logging, pages};
use auth_core::store::{ApiKeyLookup, Attached};

/// The realm every `WWW-Authenticate` challenge names.
pub(crate) const REALM: &str = "auth-demo";

/// The largest request body accepted (JSON or form).
const BODY_LIMIT: usize = 16 * 1024;

/// What every handler shares. Cloning is cheap.
#[derive(Clone)]
pub(crate) struct DemoState {
    /// The flows.
    pub(crate) auth: auth_core::Authenticator,
    /// The verifier of the flows and the pages: the authenticator's (this
    /// app's tokens only), refusing tokens while the revocation view is stale
    /// when `AUTH_DEMO_MAX_STALENESS` says so.
    pub(crate) verifier: Verifier,
    /// The verifier of `/api/*`: this app's tokens, and those of the trusted
    /// HS256 peer when one is configured, trusted for identity only.
    pub(crate) api_verifier: TrustedIssuers,
    /// How recent a login must be for `/api/recent` and account changes.
    pub(crate) step_up_max_age: Duration,
    /// Usernames already read, so `/api/me` answers through a store outage.
    pub(crate) usernames: Usernames,
    /// This instance's attachment to the store (with a shared store, the
    /// tasks that keep its views current): they run as long as the router,
    /// which holds this state, lives.
    pub(crate) _attached: Arc<Attached>,
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
    /// Why passkeys are off, when they are.
    passkeys_off: Option<auth_core::passkey::PasskeyError>,
    state: DemoState,
    /// `memory`, `redis` or `postgres`.
    store_kind: &'static str,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("auth", &self.state.auth)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Builds the app: discovers the OpenID Connect provider if one is
    /// configured, connects to the store (with Redis or PostgreSQL: waits
    /// until this instance's revocation view and API-key index are loaded),
    /// loads or generates the signing key, builds the authenticator and the
    /// router. Nothing is logged until everything has succeeded, so a bad
    /// configuration shows as the one line of the returned error.
    pub async fn build(config: &Config) -> Result<App, Error> {
        let oidc = match &config.oidc {
            Some(provider) => Some(Arc::new(discover_oidc(provider, &config.origin).await?)),
            None => None,
        };
        let (keys, key_origin, secret) = load_keys(config).await?;
        let (store, attached) = store::connect(&config.store).await?;
        let issuer = TokenIssuer::new(keys, config.issuer.as_str(), config.audience.as_str())
            .access_ttl(config.access_ttl);
        let flows = FlowConfig::default()
            .refresh_ttl(config.refresh_ttl)
            .max_failures(config.max_failures)
            .registrations_per(config.registrations_per_hour, Duration::from_secs(3600))
            .refresh_reuse_interval(config.refresh_reuse_interval)
            .recent_auth_max_age(config.step_up_max_age);
        // The relying party is the app's own origin; an IP-address host
        // cannot be one, and then the passkey routes answer 404.
        let (relying_party, passkeys_off) =
            match auth_core::passkey::RelyingParty::for_origin(&config.origin) {
                Ok(rp) => (Some(rp), None),
                Err(error) => (None, Some(error)),
            };
        let builder = store.authenticator(issuer);
        let builder = match relying_party {
            Some(rp) => builder.passkeys(rp),
            None => builder,
        };
        let auth = builder
            .attached(&attached)
            .config(flows)
            .server_secret(secret)
            .password_policy(PasswordPolicy::default().max_queue(config.hash_queue))
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
                source: source.into(),
            })?;
        let staleness = |verifier: Verifier| match config.max_staleness {
            Some(max_age) => verifier.max_revocation_staleness(max_age),
            None => verifier,
        };
        let verifier = staleness(auth.verifier());
        let mut api_verifiers = vec![verifier.clone()];
        if let Some(peer) = peer_verifier(config, auth.revocations())? {
            api_verifiers.push(staleness(peer));
        }
        let api_keys = attached.api_keys();
        let store_kind = store.kind();
        let state = DemoState {
            cookies: CookieConfig::for_authenticator(&auth),
            origin: Arc::from(config.origin.as_str()),
            auth,
            verifier,
            api_verifier: Verifier::any(api_verifiers),
            step_up_max_age: config.step_up_max_age,
            usernames: Usernames::default(),
            _attached: Arc::new(attached),
        };
        let router = router(state.clone(), api_keys, oidc);
        Ok(App {
            router,
            key_origin,
            passkeys_off,
            state,
            store_kind,
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
                "also accepting HS256 tokens signed with AUTH_DEMO_TRUSTED_HS256_SECRET on /api/*, \
                 for who the caller is only"
            );
        }
        if let Some(reason) = &self.passkeys_off {
            tracing::info!(
                origin = %config.origin,
                %reason,
                "passkeys are off: the passkey routes answer 404 (use http://localhost:PORT, \
                 not an IP address, in AUTH_DEMO_ISSUER)"
            );
        }
        if let Some(max_age) = config.max_staleness {
            tracing::info!(
                max_staleness_secs = max_age.as_secs(),
                "refusing tokens while the revocation view has not heard from the store \
                 within AUTH_DEMO_MAX_STALENESS"
            );
        }
        tracing::info!(
            store = self.store_kind,
            iss = issuer.issuer(),
            aud = issuer.audience(),
            access_ttl_secs = config.access_ttl.as_secs(),
            refresh_ttl_secs = config.refresh_ttl.as_secs(),
            max_failures = config.max_failures,
            registrations_per_hour = config.registrations_per_hour,
            step_up_max_age_secs = config.step_up_max_age.as_secs(),
            refresh_reuse_interval_secs = config.refresh_reuse_interval.as_secs(),
            hash_queue = config.hash_queue,
            oidc = config
                .oidc
                .as_ref()
                .map_or("not configured", |provider| provider.issuer.as_str()),
            "auth-demo configured"
        );
    }
}

/// The provider of `AUTH_DEMO_OIDC_*`, named `oidc`, its callback at
/// `/auth/oidc/callback` on the app's own origin.
async fn discover_oidc(
    provider: &config::OidcConfig,
    origin: &str,
) -> Result<ProviderLogin, Error> {
    OidcProvider::new(
        "oidc",
        provider.issuer.as_str(),
        provider.client_id.as_str(),
        provider.client_secret.expose(),
    )
    .discover(&format!("{origin}/auth/oidc/callback"))
    .await
    .map_err(|source| Error::Setup {
        variable: config::OIDC_ISSUER,
        source: source.into(),
    })
}

/// The signing keys and the server secret: from `AUTH_DEMO_KEY_DIR`
/// (generated there when missing), else fresh ones for this process.
async fn load_keys(config: &Config) -> Result<(KeySet, KeyOrigin, ServerSecret), Error> {
    let alg = config.alg;
    match &config.key_dir {
        Some(dir) => {
            let folder = dir.clone();
            // File I/O, and possibly waiting for another instance to finish
            // initialising the folder: keep it off the async workers.
            let loaded = tokio::task::spawn_blocking(move || {
                let keys = KeySet::load_or_generate_dir(&folder, alg)?;
                let secret = ServerSecret::load_or_generate_dir(&folder)?;
                Ok::<_, auth_core::KeyError>((keys, secret))
            })
            .await
            .map_err(|_| Error::Config {
                variable: config::KEY_DIR,
                reason: "loading the key folder was interrupted".into(),
            })?
            .map_err(|source| Error::Setup {
                variable: config::KEY_DIR,
                source: source.into(),
            })?;
            Ok((loaded.0, KeyOrigin::Folder(dir.clone()), loaded.1))
        }
        None => {
            let setup = |source: auth_core::KeyError| Error::Setup {
                variable: config::ALG,
                source: source.into(),
            };
            let keys = KeySet::generate(alg).map_err(setup)?;
            let secret = ServerSecret::generate().map_err(setup)?;
            Ok((keys, KeyOrigin::Fresh, secret))
        }
    }
}

/// The verifier of the peer's HS256 tokens (`AUTH_DEMO_TRUSTED_HS256_SECRET`):
/// its key alone, this app's `iss` and `aud`, no longer lifetime than this
/// app's access tokens, this app's revocations, and trusted for who the
/// caller is only (its `roles` and `amr` count for nothing).
fn peer_verifier(config: &Config, revocations: &RevocationList) -> Result<Option<Verifier>, Error> {
    let Some(secret) = &config.trusted_hs256_secret else {
        return Ok(None);
    };
    let setup = |source: auth_core::KeyError| Error::Setup {
        variable: config::TRUSTED_HS256_SECRET,
        source: source.into(),
    };
    // Only its verifying half is kept: this app never signs with the peer's
    // secret, and never publishes it.
    let peer = SigningKey::hs256(secret.expose().as_bytes(), None).map_err(setup)?;
    let keys = KeySet::verify_only([peer.verifying_key().clone()]).map_err(setup)?;
    let validation = Validation::new(config.issuer.as_str(), config.audience.as_str())
        .max_lifetime(config.access_ttl);
    Ok(Some(
        Verifier::new(keys, validation)
            .with_revocations(revocations.clone())
            .identity_only(),
    ))
}

/// The whole router. The API routes accept a bearer token or an API key; the
/// flows under `/auth` a bearer token where they need one (both layers are
/// optional: each route's extractor or guard decides); the pages use cookies.
fn router(state: DemoState, api_keys: ApiKeyLookup, oidc: Option<Arc<ProviderLogin>>) -> Router {
    let verifier = state.verifier.clone();
    let api_verifier = state.api_verifier.clone();
    let routes = AuthRoutes::new(state.auth.clone())
        .cookies(state.cookies.clone())
        .allowed_origin(state.origin.as_ref())
        .realm(REALM);
    let flows = match oidc {
        Some(login) => routes.external_login(login).into_router::<DemoState>(),
        None => routes
            .into_router::<DemoState>()
            .route("/oidc/login", get(api::oidc_not_configured))
            .route("/oidc/callback", get(api::oidc_not_configured)),
    };
    // The flows take this app's own tokens only: a peer's token is
    // `invalid_token` there, whatever `sub` it names.
    let flows = flows.layer(
        AuthLayer::new(verifier)
            .bearer_header()
            .optional()
            .realm(REALM),
    );
    let api = api::router().layer(
        AuthLayer::new(api_verifier)
            .bearer_header()
            .api_key_header(api_keys)
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
