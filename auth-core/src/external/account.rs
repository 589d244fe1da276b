//! Accounts of external identities, linked by the provider's (`iss`, `sub`).

use super::ExternalError;
use crate::Authenticator;
use crate::flow::TokenPair;
use crate::store::{NewUser, SecretHash, User};

/// Domain label of the hash that names an external account.
const SUBJECT_DOMAIN: &str = "oidc-subject";

/// A user as an external provider vouched for them, after verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// The provider's issuer identifier (`iss`).
    pub issuer: String,
    /// The user's id at the provider (`sub`), unique per issuer.
    pub subject: String,
    /// The name the provider suggests (`preferred_username`), if any: for
    /// display only, never for linking.
    pub preferred_username: Option<String>,
    /// How the provider authenticated the user (its `amr`), if it said.
    pub amr: Vec<String>,
    /// When the provider authenticated the user (`auth_time`), if it said.
    pub auth_time: Option<i64>,
}

/// The outcome of an external login: the session's tokens and the account.
#[derive(Debug)]
pub struct ExternalLogin {
    /// The new session's tokens, as after a password login.
    pub tokens: TokenPair,
    /// The linked account.
    pub user: User,
    /// Whether the account was created by this login.
    pub created: bool,
    /// The identity the provider vouched for.
    pub identity: ExternalIdentity,
}

/// The username of the account linked to (`issuer`, `subject`):
/// `oidc:` and 64 hex digits, longer than registration accepts.
pub fn external_username(issuer: &str, subject: &str) -> String {
    // `iss` is a URL and holds no NUL, so the pair is encoded unambiguously.
    let pair = format!("{issuer}\0{subject}");
    let hash = SecretHash::of(SUBJECT_DOMAIN, pair.as_bytes());
    format!("oidc:{}", hash.to_hex())
}

/// `["fed"]` followed by the provider's own values (deduplicated, and only
/// short printable tokens: they end up in every access token of the session).
fn federated_amr(provider_amr: &[String]) -> Vec<String> {
    let mut amr = vec!["fed".to_owned()];
    for value in provider_amr {
        let plausible = !value.is_empty()
            && value.len() <= 32
            && value.bytes().all(|b| b.is_ascii_graphic() && b != b'"');
        if plausible && !amr.contains(value) {
            amr.push(value.clone());
        }
    }
    amr
}

impl Authenticator {
    /// Logs in an identity an external provider vouched for: finds the account
    /// linked to its (`iss`, `sub`) or creates it, then starts a session as a
    /// password login does, with `amr` `["fed", …the provider's]`.
    ///
    /// Call it only with a verified identity (an id_token checked by
    /// [`ProviderLogin::finish`](super::ProviderLogin::finish), or the user-info
    /// answer of a provider reached over TLS with a code this app exchanged).
    /// Errors: [`ExternalError::AccountConflict`] if the account name is held
    /// by an account with a password.
    pub async fn external_login(
        &self,
        identity: ExternalIdentity,
        client: impl Into<crate::flow::ClientInfo>,
    ) -> Result<ExternalLogin, ExternalError> {
        let client = client.into();
        let username = external_username(&identity.issuer, &identity.subject);
        let store = self.users();
        let (user, created) = match store.user_by_name(&username).await? {
            Some(user) => (user, false),
            None => {
                let new_user = NewUser {
                    username: username.clone(),
                    password_hash: None,
                    roles: Vec::new(),
                };
                match store.create_user(new_user).await {
                    Ok(user) => (user, true),
                    // A concurrent first login of the same identity won.
                    Err(crate::store::StoreError::UsernameTaken) => {
                        let user = store.user_by_name(&username).await?;
                        (user.ok_or(crate::store::StoreError::NotFound)?, false)
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        if user.password_hash.is_some() {
            return Err(ExternalError::AccountConflict);
        }
        let now = crate::time::now();
        let auth_time = identity.auth_time.filter(|t| *t <= now).unwrap_or(now);
        let tokens = self
            .start_session(&user, federated_amr(&identity.amr), auth_time, &client)
            .await?;
        crate::flow::events::security_event!(info, "login.succeeded", client, user = %user.id, method = "fed");
        Ok(ExternalLogin {
            tokens,
            user,
            created,
            identity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_depend_on_both_issuer_and_subject() {
        let a = external_username("https://a.example", "1");
        assert!(a.starts_with("oidc:") && a.len() == 69);
        assert_eq!(a, external_username("https://a.example", "1"));
        assert_ne!(a, external_username("https://b.example", "1"));
        assert_ne!(a, external_username("https://a.example", "2"));
        // No ambiguity between where the issuer ends and the subject begins.
        assert_ne!(
            external_username("https://a.example/x", "y"),
            external_username("https://a.example/", "xy")
        );
    }

    #[test]
    fn amr_starts_with_fed_and_keeps_the_providers_values() {
        let provider = ["pwd".to_owned(), "fed".to_owned(), "bad value".to_owned()];
        assert_eq!(federated_amr(&provider), ["fed", "pwd"]);
        assert_eq!(federated_amr(&[]), ["fed"]);
    }
}
