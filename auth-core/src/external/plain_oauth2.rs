//! [`OAuth2Provider`]: providers without OpenID Connect (GitHub), whose users
//! the application identifies itself, with the access token of the login.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use oauth2::basic::BasicClient;
use oauth2::{AuthUrl, ClientId, ClientSecret, EndpointNotSet, EndpointSet, RedirectUrl, TokenUrl};
use zeroize::Zeroizing;

use super::ExternalError;
use super::ProviderLogin;
use super::error::{check_name, http_client};

/// A client with its authorization and token endpoints set.
pub(super) type PlainClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// A user as a plain OAuth2 provider's API describes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderUser {
    /// The user's stable, unique id at the provider (for GitHub, the numeric
    /// `id`, not the login, which users can change).
    pub subject: String,
    /// A name to show, if any: never used for linking.
    pub preferred_username: Option<String>,
}

/// Asks a plain OAuth2 provider who the user is, with the access token the
/// login's code was exchanged for (for GitHub: `GET
/// https://api.github.com/user`). The application writes it; the answer is
/// trusted as far as the TLS connection to the provider's API is.
#[async_trait]
pub trait UserInfo: Send + Sync + 'static {
    /// The user the access token belongs to. `http` follows no redirects and
    /// times out after 10 seconds. Errors: [`ExternalError::Unavailable`]
    /// (HTTP 503) or [`ExternalError::Refused`] (HTTP 400) are the useful ones.
    async fn user_info(
        &self,
        http: &reqwest::Client,
        access_token: &str,
    ) -> Result<ProviderUser, ExternalError>;
}

/// A provider without OpenID Connect: its endpoints are given, not
/// discovered, and its users are identified by a [`UserInfo`] the application
/// provides. Accounts are linked by (`identity_issuer`, the user's subject).
#[derive(Clone)]
#[must_use]
pub struct OAuth2Provider {
    pub(super) name: String,
    pub(super) identity_issuer: String,
    authorize_url: String,
    token_url: String,
    client_id: String,
    client_secret: Zeroizing<String>,
    pub(super) scopes: Vec<String>,
    pub(super) user_info: Arc<dyn UserInfo>,
}

impl OAuth2Provider {
    /// A provider named `name` in routes, whose users are linked under
    /// `identity_issuer` (a URL naming the provider, standing in for the
    /// `iss` an OpenID Connect provider would give), with its authorization
    /// and token endpoints, the client id and secret of this app there
    /// (`client_secret_basic`), and the application's `user_info`. No scopes
    /// until [`scopes`](Self::scopes).
    pub fn new(
        name: impl Into<String>,
        identity_issuer: impl Into<String>,
        authorize_url: &str,
        token_url: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        user_info: impl UserInfo,
    ) -> Self {
        OAuth2Provider {
            name: name.into(),
            identity_issuer: identity_issuer.into(),
            authorize_url: authorize_url.to_owned(),
            token_url: token_url.to_owned(),
            client_id: client_id.into(),
            client_secret: Zeroizing::new(client_secret.into()),
            scopes: Vec::new(),
            user_info: Arc::new(user_info),
        }
    }

    /// GitHub (an "OAuth App"), named `github`, scope `read:user`, users
    /// linked under `https://github.com`.
    pub fn github(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        user_info: impl UserInfo,
    ) -> Self {
        OAuth2Provider::new(
            "github",
            "https://github.com",
            "https://github.com/login/oauth/authorize",
            "https://github.com/login/oauth/access_token",
            client_id,
            client_secret,
            user_info,
        )
        .scopes(["read:user"])
    }

    /// Replaces the scopes.
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Renames the provider (the preset is named `github`).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The provider's name in routes.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The login flow, whose callback is `redirect_uri`. Every URL must be
    /// `https` (plain `http` only on 127.0.0.1 / localhost).
    pub fn build(self, redirect_uri: &str) -> Result<ProviderLogin, ExternalError> {
        check_name(&self.name)?;
        let url = |what: &'static str, value: &str| {
            crate::outbound::endpoint_url(value)
                .map_err(|source| ExternalError::Endpoint { what, source })
        };
        let client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.to_string()))
            .set_auth_uri(AuthUrl::from_url(url(
                "authorization endpoint",
                &self.authorize_url,
            )?))
            .set_token_uri(TokenUrl::from_url(url("token endpoint", &self.token_url)?))
            .set_redirect_uri(RedirectUrl::from_url(url("redirect URI", redirect_uri)?));
        url("identity issuer", &self.identity_issuer)?;
        Ok(ProviderLogin::plain(self, client, http_client()?))
    }
}

impl fmt::Debug for OAuth2Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Provider")
            .field("name", &self.name)
            .field("identity_issuer", &self.identity_issuer)
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nobody;

    #[async_trait]
    impl UserInfo for Nobody {
        async fn user_info(
            &self,
            _: &reqwest::Client,
            _: &str,
        ) -> Result<ProviderUser, ExternalError> {
            Err(ExternalError::Refused("nobody"))
        }
    }

    #[test]
    fn the_github_preset_and_the_url_rules() {
        let github = OAuth2Provider::github("id", "hunter2-value", Nobody);
        assert_eq!(github.name(), "github");
        assert_eq!(github.scopes, ["read:user"]);
        assert!(!format!("{github:?}").contains("hunter2"));
        assert!(
            github
                .build("https://app.example/auth/github/callback")
                .is_ok()
        );

        let plain_http = |authorize: &str, redirect: &str| {
            OAuth2Provider::new(
                "corp",
                "https://id.corp.example",
                authorize,
                "https://id.corp.example/token",
                "id",
                "secret",
                Nobody,
            )
            .build(redirect)
            .is_ok()
        };
        assert!(!plain_http(
            "http://id.corp.example/authorize",
            "https://app.example/cb"
        ));
        assert!(plain_http(
            "https://id.corp.example/authorize",
            "http://127.0.0.1:3000/cb"
        ));
        let bad_name = OAuth2Provider::github("id", "secret", Nobody).named("Git Hub");
        assert!(bad_name.build("https://app.example/cb").is_err());
    }
}
