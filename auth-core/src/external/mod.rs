//! Login with an external OpenID Connect or OAuth2 provider (feature `oidc`).
//!
//! The authorization-code flow with PKCE (`S256`), `state` and `nonce`
//! (OpenID Connect Core 1.0 §3.1, RFC 7636), through the `openidconnect`
//! crate:
//!
//! 1. [`OidcProvider`] names a provider (issuer, client, scopes; presets for
//!    Google and Microsoft) and [`discover`](OidcProvider::discover)s it into
//!    an [`ProviderLogin`].
//! 2. [`ProviderLogin::begin`] answers the authorization URL to redirect the
//!    browser to, and a login secret for a short-lived cookie.
//! 3. [`ProviderLogin::finish`] takes the provider's callback and that cookie,
//!    exchanges the code, verifies the id_token (signature against the
//!    provider's JWKS, `iss`, `aud`, `exp`, `nonce`), links the account by the
//!    provider's (`iss`, `sub`) and starts a session whose `amr` is `["fed", …]`.
//!
//! Providers without OpenID Connect (GitHub) are [`OAuth2Provider`]s: the
//! same flow without `nonce` or id_token; after the code exchange, the
//! application's [`UserInfo`] says who the user is (from the provider's API,
//! with the access token), and the account is linked by the provider's
//! identity issuer and that user's id.
//!
//! ## The login state
//!
//! The login secret (256 random bits) goes to the browser in a cookie and
//! nowhere else. The `nonce` and the PKCE verifier are derived from it (SHA-256
//! under distinct labels), so only that browser can complete the login. The
//! store keeps, under the random `state`, the hash of the secret until the
//! login expires ([`OneTimeStore::put_code`](crate::store::OneTimeStore)); the
//! callback consumes it atomically
//! ([`consume_code`](crate::store::OneTimeStore::consume_code)), so a callback
//! works once, only in the browser that started the login, and only before
//! [`LOGIN_TTL`] runs out — with the memory, Redis and PostgreSQL stores alike.
//!
//! ## Accounts
//!
//! An external identity is linked to the account named
//! `oidc:<SHA-256 of iss and sub, hex>`, created at its first login without a
//! password and without roles. The name is longer than registration accepts
//! (64 characters), so nobody can register it beforehand; an account of that
//! name that has a password is refused all the same
//! ([`ExternalError::AccountConflict`]).

mod account;
mod error;
mod login;
mod plain_oauth2;
mod provider;

pub use account::{ExternalIdentity, ExternalLogin, external_username};
pub use error::ExternalError;
pub use login::{Callback, LOGIN_TTL, LoginStart, ProviderLogin};
pub use plain_oauth2::{OAuth2Provider, ProviderUser, UserInfo};
pub use provider::OidcProvider;
