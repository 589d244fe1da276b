//! Another issuer whose access tokens we accept.

use serde::Deserialize;

use super::RemoteKeysError;
use super::fetch::{client, get_json, key_url};
use super::{RefreshPolicy, RemoteJwks};
use crate::{Validation, Verifier};

/// An issuer we trust for one audience, with its keys fetched from its JWK
/// Set URL and kept current ([`RemoteJwks`]).
///
/// ```no_run
/// use auth_core::Verifier;
/// use auth_core::remote::RemoteIssuer;
///
/// # async fn run(ours: Verifier) -> Result<(), Box<dyn std::error::Error>> {
/// let partner = RemoteIssuer::discover("https://id.partner.example", "my-api").await?;
/// // Our own tokens and the partner's, each checked against its own issuer and keys.
/// let verifier = Verifier::any([ours, partner.verifier()]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RemoteIssuer {
    validation: Validation,
    jwks: RemoteJwks,
}

/// The members of an OpenID Provider's metadata read here (OpenID Connect
/// Discovery 1.0 §3).
#[derive(Deserialize)]
struct ProviderMetadata {
    issuer: String,
    jwks_uri: String,
}

impl RemoteIssuer {
    /// Trusts `issuer` for tokens addressed to `audience`, finding its keys
    /// through OpenID Connect discovery (`{issuer}/.well-known/openid-configuration`).
    ///
    /// The document must name `issuer` exactly (Discovery §4.3): a document
    /// that names another issuer could hand us another issuer's keys.
    pub async fn discover(issuer: &str, audience: &str) -> Result<Self, RemoteKeysError> {
        Self::discover_with(issuer, audience, RefreshPolicy::default()).await
    }

    /// Like [`RemoteIssuer::discover`], refreshing the keys by `policy`.
    pub async fn discover_with(
        issuer: &str,
        audience: &str,
        policy: RefreshPolicy,
    ) -> Result<Self, RemoteKeysError> {
        let http = client(policy.timeout)?;
        let document = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let (metadata, _): (ProviderMetadata, _) = get_json(&http, &key_url(&document)?).await?;
        if metadata.issuer != issuer {
            return Err(RemoteKeysError::new(
                document.as_str(),
                format!("names the issuer {:?}, not {issuer:?}", metadata.issuer),
            ));
        }
        let jwks = RemoteJwks::start(key_url(&metadata.jwks_uri)?, http, policy).await?;
        Ok(Self::with_jwks(issuer, audience, jwks))
    }

    /// Trusts `issuer` for tokens addressed to `audience`, with its keys from
    /// `jwks_uri`, for an issuer without discovery.
    pub async fn from_jwks_uri(
        issuer: &str,
        audience: &str,
        jwks_uri: &str,
        policy: RefreshPolicy,
    ) -> Result<Self, RemoteKeysError> {
        let jwks = RemoteJwks::fetch_with(jwks_uri, policy).await?;
        Ok(Self::with_jwks(issuer, audience, jwks))
    }

    /// Trusts `issuer` for tokens addressed to `audience`, signed by `jwks`.
    pub fn with_jwks(issuer: &str, audience: &str, jwks: RemoteJwks) -> Self {
        RemoteIssuer {
            validation: Validation::new(issuer, audience),
            jwks,
        }
    }

    /// A verifier of this issuer's tokens: `iss` and `aud` checked, keys
    /// following the issuer's rotations.
    pub fn verifier(&self) -> Verifier {
        Verifier::new(self.jwks.keys().clone(), self.validation.clone())
    }

    /// The issuer's keys.
    pub fn jwks(&self) -> &RemoteJwks {
        &self.jwks
    }

    /// The issuer and audience checked.
    pub fn validation(&self) -> &Validation {
        &self.validation
    }
}
