//! The authentication flows: register, log in, second factor, issue, refresh,
//! log out, API keys. Framework-free: each is one method an app (or the
//! mountable router of `auth-middleware`) calls.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use auth_core::{Algorithm, Authenticator, KeySet, PasswordPolicy, TokenIssuer};
//! use auth_core::flow::LoginOutcome;
//! use auth_core::store::MemoryStore;
//!
//! let issuer = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://id.example", "api");
//! let auth = Authenticator::builder(issuer, MemoryStore::new())
//!     .password_policy(PasswordPolicy::insecure_fast_for_tests())
//!     .build()
//!     .await?;
//! auth.register("Ada", "correct horse battery", None).await?;
//! let LoginOutcome::Tokens(tokens) = auth.login("ada", "correct horse battery", None).await? else {
//!     unreachable!("no second factor enrolled")
//! };
//! let claims = auth.verifier().verify(&tokens.access.access_token).unwrap();
//! assert_eq!(claims.amr, ["pwd"]);
//! let first = tokens.refresh.expose();
//! let next = auth.refresh(first, None).await?;                 // rotation
//! let again = auth.refresh(first, None).await?;                // a second tab, within the reuse interval:
//! assert_eq!(again.refresh.expose(), next.refresh.expose());   // the same successor
//! let last = auth.refresh(next.refresh.expose(), None).await?;
//! assert!(auth.refresh(first, None).await.is_err());           // reuse: the family is revoked
//! assert!(auth.verifier().verify(&last.access.access_token).is_err());
//! # Ok(()) }
//! ```

mod api_keys;
mod builder;
mod client;
mod config;
mod error;
pub mod events;
mod login;
mod mfa_step;
mod mfa_token;
mod outcome;
#[cfg(feature = "passkeys")]
mod passkeys;
mod refresh_token;
mod session;
mod throttle;
mod username;

use std::sync::Arc;

pub use api_keys::{API_KEY_PREFIX, NewApiKey, api_key_hash};
pub use builder::AuthenticatorBuilder;
pub use client::{ClientInfo, MAX_USER_AGENT_CHARS};
pub use config::FlowConfig;
pub use error::FlowError;
pub use outcome::{LoginOutcome, MfaChallenge, RefreshToken, TokenPair};
#[cfg(feature = "passkeys")]
#[cfg_attr(docsrs, doc(cfg(feature = "passkeys")))]
pub use passkeys::PasskeySignIn;
pub use username::{MAX_USERNAME_CHARS, canonical as canonical_username};

use crate::ServerSecret;
use crate::mfa::Totp;
use crate::password::PasswordHasher;
use crate::revocation::RevocationList;
use crate::store::{Revocation, SessionState, Store, UserStore};
use crate::token::{TokenIssuer, Verifier};

/// Decides the roles of a newly registered user from the username.
pub type RolesForNewUser = Arc<dyn Fn(&str) -> Vec<String> + Send + Sync>;

/// The authentication flows over one store, one token issuer and one password
/// hasher. Cloning is cheap; build one per application.
#[derive(Clone)]
pub struct Authenticator {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: TokenIssuer,
    /// The issuer's verifier, built once: its clones share one cache of
    /// accepted tokens.
    verifier: Verifier,
    users: Arc<dyn UserStore>,
    store: Arc<dyn SessionState>,
    hasher: PasswordHasher,
    totp: Totp,
    config: FlowConfig,
    roles_for_new_user: RolesForNewUser,
    /// This instance's local API-key index (shared stores), kept current at
    /// once for the keys this instance creates and deletes.
    api_key_index: Option<crate::store::ApiKeyIndex>,
    /// Seals TOTP secrets, keys recovery-code hashes, MACs refresh tokens.
    secret: ServerSecret,
    /// The relying party, when passkeys are offered.
    #[cfg(feature = "passkeys")]
    passkeys: Option<crate::passkey::RelyingParty>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("issuer", &self.inner.issuer)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Starts building an authenticator that issues with `issuer` and keeps
    /// users and session state in `store` (see
    /// [`AuthenticatorBuilder::users`] to keep users elsewhere).
    pub fn builder(issuer: TokenIssuer, store: impl Store) -> AuthenticatorBuilder {
        let store = Arc::new(store);
        AuthenticatorBuilder::new(issuer, Arc::clone(&store) as Arc<dyn UserStore>, store)
    }

    /// A verifier for the access tokens this authenticator issues; it consults
    /// the local revocation view that logouts and reuse detection feed. Every
    /// call returns a clone of one verifier, sharing its cache of accepted
    /// tokens.
    pub fn verifier(&self) -> Verifier {
        self.inner.verifier.clone()
    }

    /// The token issuer.
    pub fn issuer(&self) -> &TokenIssuer {
        &self.inner.issuer
    }

    /// Where user accounts are kept.
    pub fn users(&self) -> &Arc<dyn UserStore> {
        &self.inner.users
    }

    /// Where sessions, revocations, throttling windows, single-use marks and
    /// API keys are kept.
    pub fn state(&self) -> &Arc<dyn SessionState> {
        &self.inner.store
    }

    /// The flow settings.
    pub fn config(&self) -> &FlowConfig {
        &self.inner.config
    }

    /// The password hasher (and its bounded pool).
    pub fn password_hasher(&self) -> &PasswordHasher {
        &self.inner.hasher
    }

    /// The local revocation view.
    pub fn revocations(&self) -> &RevocationList {
        self.inner.issuer.revocations()
    }

    /// Records `revocation` in the store and in the local view. The local view
    /// is updated first so this instance refuses the token at once even if the
    /// store write fails.
    async fn revoke(&self, revocation: Revocation) -> Result<(), FlowError> {
        self.revocations().apply(&revocation);
        Ok(self.inner.store.revoke(&revocation).await?)
    }

    /// Loads every revocation still in force from the store into the local view.
    pub async fn load_revocations(&self) -> Result<usize, FlowError> {
        let active = self
            .inner
            .store
            .active_revocations(crate::time::now())
            .await?;
        for revocation in &active {
            self.revocations().apply(revocation);
        }
        Ok(active.len())
    }
}
