//! [`ProviderLogin`]: the two halves of the code flow, and the login state between them.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::TokenResponse as _;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    TokenResponse as _,
};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::ExternalError;
use super::account::{ExternalIdentity, ExternalLogin};
use super::plain_oauth2::{OAuth2Provider, PlainClient};
use super::provider::OidcProvider;
use crate::Authenticator;
use crate::store::SecretHash;

/// A client built from discovered metadata: authorization endpoint set,
/// token and user-info endpoints as the metadata says.
pub(super) type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// How long a started login can be completed: time to type a password at the
/// provider, not more.
pub const LOGIN_TTL: Duration = Duration::from_secs(600);

/// How old the provider's metadata and keys may get before a new login
/// fetches them again (providers rotate their signing keys).
const METADATA_MAX_AGE: i64 = 3600;

/// Domain labels of what is derived from the login secret.
const STATE_DOMAIN: &str = "oidc-state";
const NONCE_DOMAIN: &str = "oidc-nonce";
const PKCE_DOMAIN: &str = "oidc-pkce-verifier";

/// The registered error codes of an authorization response (RFC 6749
/// §4.1.2.1, OpenID Connect Core §3.1.2.6): what a provider's `error=` is
/// passed on as. Anything else becomes `invalid_request`.
const PROVIDER_ERRORS: [&str; 16] = [
    "invalid_request",
    "unauthorized_client",
    "access_denied",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
    "interaction_required",
    "login_required",
    "account_selection_required",
    "consent_required",
    "invalid_request_uri",
    "invalid_request_object",
    "request_not_supported",
    "request_uri_not_supported",
    "registration_not_supported",
];

/// What the provider sends back to the redirect URI, as query parameters.
/// No `Debug` output of the code.
#[derive(Clone, Default, Deserialize)]
pub struct Callback {
    /// The authorization code.
    pub code: Option<String>,
    /// The `state` of the login this answers.
    pub state: Option<String>,
    /// The provider's error code, when the login failed there.
    pub error: Option<String>,
}

impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback")
            .field("code", &self.code.as_ref().map(|_| ".."))
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// A started login: where to send the browser, and the secret that binds the
/// login to it.
///
/// Starting a login stores nothing: everything the callback needs to check
/// (`state`, `nonce`, the PKCE verifier, the expiry) is derived from the
/// login secret, which only the browser that started the login holds. So
/// anonymous requests to start logins cannot fill a store.
pub struct LoginStart {
    /// The provider's authorization URL (`response_type=code`, `scope`,
    /// PKCE `S256`, `state`, `nonce`, `redirect_uri`).
    pub authorize_url: String,
    /// The login secret and its expiry, for a short-lived (`LOGIN_TTL`),
    /// `HttpOnly` cookie that comes back with the callback (so
    /// `SameSite=Lax`, not `Strict`: the callback is a navigation from the
    /// provider's site).
    pub login_secret: Zeroizing<String>,
}

impl fmt::Debug for LoginStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginStart").finish_non_exhaustive()
    }
}

struct Discovered {
    client: DiscoveredClient,
    fetched_at: i64,
}

/// The login flow with one provider: an OpenID Connect provider
/// ([`OidcProvider::discover`]) or a plain OAuth2 one
/// ([`OAuth2Provider::build`]). Cheap to share behind an `Arc`.
pub struct ProviderLogin {
    name: String,
    http: reqwest::Client,
    kind: Kind,
}

enum Kind {
    Oidc {
        provider: OidcProvider,
        redirect_uri: RedirectUrl,
        discovered: ArcSwap<Discovered>,
    },
    // Boxed: the client is several times the size of the other variant.
    OAuth2 {
        provider: OAuth2Provider,
        client: Box<PlainClient>,
    },
}

impl fmt::Debug for ProviderLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("ProviderLogin");
        match &self.kind {
            Kind::Oidc { provider, .. } => out.field("provider", provider),
            Kind::OAuth2 { provider, .. } => out.field("provider", provider),
        };
        out.finish_non_exhaustive()
    }
}

fn random_b64(bytes: usize) -> Result<String, ExternalError> {
    let mut buf = Zeroizing::new(vec![0u8; bytes]);
    crate::random::fill(&mut buf)?;
    Ok(URL_SAFE_NO_PAD.encode(&*buf))
}

/// A value derived from the login secret under `domain`, base64url (43 characters).
fn derived(domain: &str, login_secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(SecretHash::of(domain, login_secret.as_bytes()).0)
}

/// Whether `value` can be a `state` or login secret of ours (43 base64url
/// characters); anything else is refused before anything is derived.
fn plausible(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The expiry of a login cookie `<secret>.<expires_at>` that has not expired
/// at `now` and is no further away than a login lasts; `None` otherwise.
fn unexpired(login_secret: &str, now: i64) -> Option<i64> {
    let (secret, expires_at) = login_secret.split_once('.')?;
    let digits = !expires_at.is_empty()
        && expires_at.len() <= 19
        && expires_at.bytes().all(|b| b.is_ascii_digit());
    let expires_at: i64 = expires_at.parse().ok().filter(|_| digits)?;
    let in_time = now < expires_at && expires_at <= now.saturating_add(LOGIN_TTL.as_secs() as i64);
    (plausible(secret) && in_time).then_some(expires_at)
}

impl ProviderLogin {
    pub(super) fn oidc(
        provider: OidcProvider,
        redirect_uri: RedirectUrl,
        http: reqwest::Client,
        client: DiscoveredClient,
    ) -> Self {
        ProviderLogin {
            name: provider.name().to_owned(),
            http,
            kind: Kind::Oidc {
                provider,
                redirect_uri,
                discovered: ArcSwap::from_pointee(Discovered {
                    client,
                    fetched_at: crate::time::now(),
                }),
            },
        }
    }

    pub(super) fn plain(
        provider: OAuth2Provider,
        client: PlainClient,
        http: reqwest::Client,
    ) -> Self {
        ProviderLogin {
            name: provider.name().to_owned(),
            http,
            kind: Kind::OAuth2 {
                provider,
                client: Box::new(client),
            },
        }
    }

    /// The provider's name in routes.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn used_key(&self, state: &str) -> String {
        format!("oidc-login:{}:{state}", self.name)
    }

    /// The current client of an OpenID Connect provider; metadata older
    /// than an hour is fetched again first (a failure keeps the old one and
    /// is logged).
    async fn client(
        &self,
        provider: &OidcProvider,
        redirect_uri: &RedirectUrl,
        discovered: &ArcSwap<Discovered>,
    ) -> Arc<Discovered> {
        let current = discovered.load_full();
        if crate::time::now().saturating_sub(current.fetched_at) < METADATA_MAX_AGE {
            return current;
        }
        match provider.fetch_client(&self.http, redirect_uri).await {
            Ok(client) => {
                let fresh = Arc::new(Discovered {
                    client,
                    fetched_at: crate::time::now(),
                });
                discovered.store(Arc::clone(&fresh));
                fresh
            }
            Err(error) => {
                tracing::warn!(provider = self.name, %error, "keeping the provider's old metadata");
                current
            }
        }
    }

    /// Starts a login: a fresh login secret with its expiry ([`LOGIN_TTL`]),
    /// and the `state`, `nonce` (OpenID Connect only) and PKCE pair derived
    /// from it. Nothing is stored.
    pub async fn begin(&self, _auth: &Authenticator) -> Result<LoginStart, ExternalError> {
        let expires_at = crate::time::now().saturating_add(LOGIN_TTL.as_secs() as i64);
        let login_secret = Zeroizing::new(format!("{}.{expires_at}", random_b64(32)?));
        let state = derived(STATE_DOMAIN, &login_secret);
        let nonce = derived(NONCE_DOMAIN, &login_secret);
        let verifier = PkceCodeVerifier::new(derived(PKCE_DOMAIN, &login_secret));
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);

        let url = match &self.kind {
            Kind::Oidc {
                provider,
                redirect_uri,
                discovered,
            } => {
                let discovered = self.client(provider, redirect_uri, discovered).await;
                let mut request = discovered.client.authorize_url(
                    CoreAuthenticationFlow::AuthorizationCode,
                    move || CsrfToken::new(state),
                    move || Nonce::new(nonce),
                );
                for scope in provider.scope_list().iter().filter(|s| *s != "openid") {
                    request = request.add_scope(Scope::new(scope.clone()));
                }
                request.set_pkce_challenge(challenge).url().0
            }
            Kind::OAuth2 { provider, client } => {
                let scopes = provider.scopes.iter().cloned().map(oauth2::Scope::new);
                let (url, _) = client
                    .authorize_url(move || CsrfToken::new(state))
                    .add_scopes(scopes)
                    .set_pkce_challenge(challenge)
                    .url();
                url
            }
        };
        Ok(LoginStart {
            authorize_url: url.into(),
            login_secret,
        })
    }

    /// Completes a login from the provider's callback and the login secret
    /// the browser sent back (`None` if it sent no cookie).
    ///
    /// Errors: [`ExternalError::ProviderDenied`] when the provider answered with an
    /// error; [`ExternalError::Refused`] for a callback that matches no login in
    /// progress in this browser (missing or mismatched `state` or cookie,
    /// already used, expired), a code the provider refuses, an id_token that
    /// does not verify or whose `nonce` is not this login's;
    /// [`ExternalError::Unavailable`] when the provider cannot be reached;
    /// for a plain OAuth2 provider, what its [`UserInfo`](super::UserInfo) answers.
    ///
    /// A login completes once: its `state` is marked used in `auth`'s store
    /// (until the login would have expired) once the provider has accepted
    /// its code, so only callbacks carrying a code the provider issued for
    /// this login can write anything.
    pub async fn finish(
        &self,
        auth: &Authenticator,
        callback: Callback,
        login_secret: Option<&str>,
        client: impl Into<crate::flow::ClientInfo>,
    ) -> Result<ExternalLogin, ExternalError> {
        let now = crate::time::now();
        let matched = match (callback.state.as_deref(), login_secret) {
            (Some(state), Some(secret)) => unexpired(secret, now).filter(|_| {
                let expected = derived(STATE_DOMAIN, secret);
                subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), state.as_bytes()).into()
            }),
            _ => None,
        };
        if let Some(error) = callback.error.as_deref() {
            let code = PROVIDER_ERRORS
                .into_iter()
                .find(|known| *known == error)
                .unwrap_or("invalid_request");
            return Err(ExternalError::ProviderDenied(code));
        }
        let (Some(login_secret), Some(expires_at), Some(state)) =
            (login_secret, matched, callback.state.as_deref())
        else {
            return Err(ExternalError::Refused(
                "the state matches no login in progress in this browser",
            ));
        };
        let code = callback
            .code
            .ok_or(ExternalError::Refused("the callback has no code"))?;

        let code = AuthorizationCode::new(code);
        let verifier = PkceCodeVerifier::new(derived(PKCE_DOMAIN, login_secret));
        let identity = match &self.kind {
            Kind::Oidc {
                provider,
                redirect_uri,
                discovered,
            } => {
                let discovered = self.client(provider, redirect_uri, discovered).await;
                let nonce = Nonce::new(derived(NONCE_DOMAIN, login_secret));
                self.verified_identity(&discovered.client, code, verifier, &nonce)
                    .await?
            }
            Kind::OAuth2 { provider, client } => {
                let response = client
                    .exchange_code(code)
                    .set_pkce_verifier(verifier)
                    .request_async(&self.http)
                    .await
                    .map_err(token_error)?;
                let user = provider
                    .user_info
                    .user_info(&self.http, response.access_token().secret())
                    .await?;
                ExternalIdentity {
                    issuer: provider.identity_issuer.clone(),
                    subject: user.subject,
                    preferred_username: user.preferred_username,
                    amr: Vec::new(),
                    auth_time: None,
                }
            }
        };
        if !auth
            .state()
            .use_once(&self.used_key(state), expires_at)
            .await?
        {
            return Err(ExternalError::Refused("this login was already completed"));
        }
        auth.external_login(identity, client).await
    }

    /// The code exchanged at an OpenID Connect provider, its id_token verified.
    async fn verified_identity(
        &self,
        client: &DiscoveredClient,
        code: AuthorizationCode,
        verifier: PkceCodeVerifier,
        nonce: &Nonce,
    ) -> Result<ExternalIdentity, ExternalError> {
        let response = client
            .exchange_code(code)
            .map_err(|e| ExternalError::unavailable("the token request", e))?
            .set_pkce_verifier(verifier)
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        let id_token = response
            .id_token()
            .ok_or(ExternalError::Refused("the token response has no id_token"))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), nonce)
            .map_err(|e| {
                ExternalError::Refused(match e {
                    ClaimsVerificationError::InvalidNonce(_) => "the id_token's nonce is wrong",
                    ClaimsVerificationError::SignatureVerification(_) => {
                        "the id_token's signature does not verify"
                    }
                    ClaimsVerificationError::Expired(_) => "the id_token has expired",
                    ClaimsVerificationError::InvalidAudience(_) => "the id_token's aud is wrong",
                    ClaimsVerificationError::InvalidIssuer(_) => "the id_token's iss is wrong",
                    _ => "the id_token does not verify",
                })
            })?;
        Ok(ExternalIdentity {
            issuer: claims.issuer().as_str().to_owned(),
            subject: claims.subject().as_str().to_owned(),
            preferred_username: claims.preferred_username().map(|u| u.as_str().to_owned()),
            amr: claims
                .auth_method_refs()
                .map(|amr| amr.iter().map(|v| v.as_str().to_owned()).collect())
                .unwrap_or_default(),
            auth_time: claims.auth_time().map(|t| t.timestamp()),
        })
    }
}

/// A failed token request: the provider refusing the code is the caller's
/// problem (400), anything else the provider's (503).
fn token_error<RE, T>(error: RequestTokenError<RE, T>) -> ExternalError
where
    RE: std::error::Error + Send + Sync + 'static,
    T: oauth2::ErrorResponse + 'static,
{
    match error {
        RequestTokenError::ServerResponse(_) => {
            ExternalError::Refused("the provider refused the code")
        }
        RequestTokenError::Request(e) => ExternalError::unavailable("the token request", e),
        RequestTokenError::Parse(..) | RequestTokenError::Other(_) => ExternalError::Unavailable {
            what: "the token response is unreadable".to_owned(),
            source: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_cookies_carry_their_expiry() {
        let now = 1_800_000_000;
        let secret = random_b64(32).unwrap();
        assert_eq!(
            unexpired(&format!("{secret}.{}", now + 600), now),
            Some(now + 600)
        );
        assert_eq!(unexpired(&format!("{secret}.{now}"), now), None, "expired");
        assert_eq!(
            unexpired(&format!("{secret}.{}", now + 601), now),
            None,
            "too far ahead"
        );
        assert_eq!(unexpired(&format!("short.{}", now + 60), now), None);
        assert_eq!(unexpired(&format!("{secret}.+60"), now), None);
        assert_eq!(unexpired(&secret, now), None);
    }

    #[test]
    fn derived_values_are_independent_and_pkce_sized() {
        let secret = random_b64(32).unwrap();
        assert!(plausible(&secret));
        let nonce = derived(NONCE_DOMAIN, &secret);
        let verifier = derived(PKCE_DOMAIN, &secret);
        assert_ne!(nonce, verifier);
        // RFC 7636 §4.1: 43 to 128 unreserved characters.
        assert!(plausible(&verifier));
        assert!(!plausible("short"));
        assert!(!plausible(&format!("{}!", &secret[..42])));
    }
}
