//! Building an [`Authenticator`].

use std::sync::Arc;

use super::FlowError;
use super::{Authenticator, FlowConfig, Inner, RolesForNewUser};
use crate::ServerSecret;
use crate::mfa::Totp;
use crate::password::{PasswordHasher, PasswordPolicy};
use crate::store::{ApiKeyIndex, Attached, SessionState, UserStore};
use crate::token::TokenIssuer;

/// Builds an [`Authenticator`]; see [`Authenticator::builder`].
#[must_use]
pub struct AuthenticatorBuilder {
    issuer: TokenIssuer,
    users: Arc<dyn UserStore>,
    store: Arc<dyn SessionState>,
    hasher: Option<PasswordHasher>,
    policy: PasswordPolicy,
    totp: Option<Totp>,
    config: FlowConfig,
    roles_for_new_user: RolesForNewUser,
    api_key_index: Option<ApiKeyIndex>,
    secret: Option<ServerSecret>,
    #[cfg(feature = "passkeys")]
    passkeys: Option<crate::passkey::RelyingParty>,
}

impl AuthenticatorBuilder {
    pub(crate) fn new(
        issuer: TokenIssuer,
        users: Arc<dyn UserStore>,
        store: Arc<dyn SessionState>,
    ) -> Self {
        AuthenticatorBuilder {
            issuer,
            users,
            store,
            hasher: None,
            policy: PasswordPolicy::default(),
            totp: None,
            config: FlowConfig::default(),
            roles_for_new_user: Arc::new(|_| Vec::new()),
            api_key_index: None,
            secret: None,
            #[cfg(feature = "passkeys")]
            passkeys: None,
        }
    }

    /// The server secret that seals TOTP secrets and keys recovery-code and
    /// refresh-token MACs. Every instance sharing a store must use the same
    /// one (keep it in the key folder: [`ServerSecret::load_or_generate_dir`]).
    /// Unset: a fresh secret for this process, which is right for a single
    /// instance on the memory store only.
    pub fn server_secret(mut self, secret: ServerSecret) -> Self {
        self.secret = Some(secret);
        self
    }

    /// The password policy (argon2 parameters, lengths, pool size).
    pub fn password_policy(mut self, policy: PasswordPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// A password hasher to share with other parts of the app (its pool included).
    pub fn password_hasher(mut self, hasher: PasswordHasher) -> Self {
        self.hasher = Some(hasher);
        self
    }

    /// TOTP settings; the issuer label defaults to the host of the token
    /// issuer's `iss` (`id.example` for `https://id.example:8443/`).
    pub fn totp(mut self, totp: Totp) -> Self {
        self.totp = Some(totp);
        self
    }

    /// Lifetimes and throttling limits.
    pub fn config(mut self, config: FlowConfig) -> Self {
        self.config = config;
        self
    }

    /// Roles given to a user at registration, decided from the username.
    pub fn roles_for_new_user(
        mut self,
        roles: impl Fn(&str) -> Vec<String> + Send + Sync + 'static,
    ) -> Self {
        self.roles_for_new_user = Arc::new(roles);
        self
    }

    /// The local API-key index the layer reads (with a shared store, the one
    /// fed by [`StateSync`](crate::store::StateSync)): keys this instance
    /// creates or deletes are put into it or taken out of it at once, before
    /// the other instances hear of them. [`attached`](Self::attached) sets it.
    pub fn api_key_index(mut self, index: ApiKeyIndex) -> Self {
        self.api_key_index = Some(index);
        self
    }

    /// Uses the local views of an instance attached to its store
    /// ([`Attach::attach`](crate::store::Attach::attach)): the issuer's
    /// verifiers consult its revocation view, and the keys this instance
    /// creates or deletes reach its API-key index at once.
    pub fn attached(mut self, attached: &Attached) -> Self {
        self.issuer = self.issuer.revocation_list(attached.revocations());
        self.api_key_index = attached.api_key_index();
        self
    }

    /// Offers passkeys for the relying party `rp`: registration,
    /// discoverable sign-in and the passkey as second step (see
    /// [`crate::passkey`]). Without it the passkey flows answer
    /// [`FlowError::PasskeysDisabled`].
    #[cfg(feature = "passkeys")]
    #[cfg_attr(docsrs, doc(cfg(feature = "passkeys")))]
    pub fn passkeys(mut self, rp: crate::passkey::RelyingParty) -> Self {
        self.passkeys = Some(rp);
        self
    }

    /// Keeps user accounts in `users` (the application's own user table)
    /// instead of the store given to [`Authenticator::builder`], which then
    /// holds only sessions, revocations, throttling windows, single-use marks,
    /// API keys and passkeys.
    pub fn users(mut self, users: impl UserStore) -> Self {
        self.users = Arc::new(users);
        self
    }

    /// Builds the authenticator and loads the revocations still in force from
    /// the store into the local view (so a restarted instance refuses what was
    /// revoked before).
    pub async fn build(self) -> Result<Authenticator, FlowError> {
        let totp = self
            .totp
            .unwrap_or_else(|| Totp::issuer(totp_label(self.issuer.issuer())));
        let secret = match self.secret {
            Some(secret) => secret,
            None => ServerSecret::generate()?,
        };
        let authenticator = Authenticator {
            inner: Arc::new(Inner {
                hasher: self
                    .hasher
                    .unwrap_or_else(|| PasswordHasher::new(self.policy)),
                verifier: self.issuer.verifier(),
                issuer: self.issuer,
                users: self.users,
                store: self.store,
                totp,
                config: self.config,
                roles_for_new_user: self.roles_for_new_user,
                api_key_index: self.api_key_index,
                secret,
                #[cfg(feature = "passkeys")]
                passkeys: self.passkeys,
            }),
        };
        authenticator.load_revocations().await?;
        Ok(authenticator)
    }
}

/// The default TOTP issuer label. `iss` is normally a URL, and the Key Uri
/// Format reserves ':' (enrolment refuses an issuer holding one), so the label
/// is its host without scheme, port or path; any ':' left (an IPv6 address,
/// an `iss` that is not a URL) becomes '_'.
fn totp_label(iss: &str) -> String {
    let rest = iss.split_once("://").map_or(iss, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match host.rsplit_once(':') {
        Some((name, port)) if !name.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let label = if host.is_empty() { iss } else { host };
    label.replace(':', "_")
}
