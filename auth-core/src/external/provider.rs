//! [`OidcProvider`]: which provider, which client, which scopes.

use std::fmt;

use openidconnect::core::{CoreClient, CoreProviderMetadata};
use openidconnect::{ClientId, ClientSecret, IssuerUrl, RedirectUrl};
use zeroize::Zeroizing;

use super::ExternalError;
use super::ProviderLogin;
use super::error::{check_endpoint, check_name, http_client};
use super::login::DiscoveredClient;

/// An external OpenID Connect provider this app lets users log in with, and
/// the client the app is registered as there.
///
/// ```
/// use auth_core::external::OidcProvider;
///
/// let google = OidcProvider::google("1234.apps.googleusercontent.com", "client-secret");
/// assert_eq!(google.name(), "google");
/// assert_eq!(google.issuer(), "https://accounts.google.com");
/// let own = OidcProvider::new("corp", "https://id.corp.example", "app", "secret")
///     .scopes(["openid", "email"]);
/// assert_eq!(own.scope_list(), ["openid", "email"]);
/// ```
#[derive(Clone)]
#[must_use]
pub struct OidcProvider {
    name: String,
    issuer: String,
    client_id: String,
    client_secret: Zeroizing<String>,
    scopes: Vec<String>,
}

impl OidcProvider {
    /// A provider named `name` (the name routes use, e.g. `/auth/{name}/login`)
    /// at issuer `issuer` (its metadata is at
    /// `{issuer}/.well-known/openid-configuration`), where this app is the
    /// confidential client `client_id` (`client_secret_basic`). Scopes:
    /// `openid profile email`.
    pub fn new(
        name: impl Into<String>,
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        OidcProvider {
            name: name.into(),
            issuer: issuer.into(),
            client_id: client_id.into(),
            client_secret: Zeroizing::new(client_secret.into()),
            scopes: ["openid", "profile", "email"].map(String::from).to_vec(),
        }
    }

    /// Google (`https://accounts.google.com`), named `google`: the client id
    /// and secret of an OAuth client of type "Web application" in the Google
    /// Cloud console.
    pub fn google(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        OidcProvider::new(
            "google",
            "https://accounts.google.com",
            client_id,
            client_secret,
        )
    }

    /// Microsoft Entra ID (`https://login.microsoftonline.com/{tenant}/v2.0`),
    /// named `microsoft`. `tenant` is the directory (tenant) id: the
    /// multi-tenant aliases (`common`, `organizations`) publish an issuer
    /// template rather than an issuer, which discovery refuses.
    pub fn microsoft(
        tenant: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        let issuer = format!("https://login.microsoftonline.com/{tenant}/v2.0");
        OidcProvider::new("microsoft", issuer, client_id, client_secret)
    }

    /// Replaces the scopes; `openid` is added in front if missing.
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        let mut list: Vec<String> = scopes.into_iter().map(Into::into).collect();
        if !list.iter().any(|s| s == "openid") {
            list.insert(0, "openid".to_owned());
        }
        self.scopes = list;
        self
    }

    /// Renames the provider (the presets are named `google` and `microsoft`).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The provider's name in routes.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The issuer identifier.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The scopes asked for.
    pub fn scope_list(&self) -> &[String] {
        &self.scopes
    }

    /// Fetches the provider's metadata and keys (OpenID Connect Discovery
    /// 1.0) and returns the login flow, whose callback is `redirect_uri` (as
    /// registered at the provider).
    ///
    /// The issuer and every endpoint must be `https` (plain `http` only on
    /// 127.0.0.1 / localhost). Errors: [`ExternalError::Unavailable`] when the
    /// metadata cannot be fetched or does not match the issuer, or the name
    /// is not 1 to 32 of `a-z`, `0-9`, `-`, `_`.
    pub async fn discover(self, redirect_uri: &str) -> Result<ProviderLogin, ExternalError> {
        check_name(&self.name)?;
        let redirect_uri = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| ExternalError::unavailable("the redirect URI is not a URL", e))?;
        let http = http_client()?;
        let client = self.fetch_client(&http, &redirect_uri).await?;
        Ok(ProviderLogin::oidc(self, redirect_uri, http, client))
    }

    /// One discovery: metadata, keys, the client built from them.
    pub(super) async fn fetch_client(
        &self,
        http: &reqwest::Client,
        redirect_uri: &RedirectUrl,
    ) -> Result<DiscoveredClient, ExternalError> {
        let issuer = IssuerUrl::new(self.issuer.clone())
            .map_err(|e| ExternalError::unavailable("the issuer is not a URL", e))?;
        check_endpoint("issuer", issuer.url())?;
        let metadata = CoreProviderMetadata::discover_async(issuer, http)
            .await
            .map_err(|e| {
                ExternalError::unavailable(format!("discovery of {} failed", self.issuer), e)
            })?;
        check_endpoint(
            "authorization endpoint",
            metadata.authorization_endpoint().url(),
        )?;
        check_endpoint("JWKS URI", metadata.jwks_uri().url())?;
        match metadata.token_endpoint() {
            Some(token) => check_endpoint("token endpoint", token.url())?,
            None => {
                return Err(ExternalError::Unavailable {
                    what: "the provider has no token endpoint".to_owned(),
                    source: None,
                });
            }
        }
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.client_id.clone()),
            Some(ClientSecret::new(self.client_secret.to_string())),
        )
        .set_redirect_uri(redirect_uri.clone());
        Ok(client)
    }
}

impl fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcProvider")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::OidcProvider;

    #[test]
    fn presets_and_scopes() {
        let microsoft = OidcProvider::microsoft("tenant-id", "app", "secret");
        assert_eq!(microsoft.name(), "microsoft");
        assert_eq!(
            microsoft.issuer(),
            "https://login.microsoftonline.com/tenant-id/v2.0"
        );
        assert_eq!(microsoft.scope_list(), ["openid", "profile", "email"]);
        let google = OidcProvider::google("id", "hunter2-value").scopes(["email"]);
        assert_eq!(google.scope_list(), ["openid", "email"]);
        // The secret stays out of Debug output.
        assert!(!format!("{google:?}").contains("hunter2"));
    }
}
