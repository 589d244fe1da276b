//! Tokens from someone else: verification keys fetched from another
//! issuer's JWK Set URL (or found by OpenID Connect discovery), cached, and
//! refreshed in the background (feature `remote-jwks`).
//!
//! - [`RemoteJwks`]: a verify-only [`KeySet`](crate::KeySet) that follows a
//!   `jwks_uri`, refreshed before its `Cache-Control` lifetime runs out and
//!   when a token names an unknown key, at most once per interval;
//! - [`RemoteIssuer`]: an issuer and audience with their remote keys, whose
//!   [`verifier`](RemoteIssuer::verifier) combines with ours through
//!   [`Verifier::any`](crate::Verifier::any);
//! - [`RefreshPolicy`]: when the keys are fetched again.
//!
//! Keys are fetched over https (plain http only to loopback addresses), and
//! each key's algorithm comes from the key itself, never from a token.

mod fetch;
mod issuer;
mod jwks;
mod policy;

pub use fetch::RemoteKeysError;
pub use issuer::RemoteIssuer;
pub use jwks::RemoteJwks;
pub use policy::RefreshPolicy;
