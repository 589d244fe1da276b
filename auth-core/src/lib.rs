//! # auth-core
//!
//! The verification logic of the auth toolkit, free of any web framework:
//!
//! - [`keys`]: a [`KeySet`] with one active signing key and any number of
//!   verification keys (EdDSA, ES256, RS256, HS256), rotation, PEM files and
//!   JWK Sets (RFC 7517);
//! - [`token`]: issuing and verifying RFC 9068 access tokens by the rules of
//!   RFC 8725, with the application's own claims through a type parameter;
//! - [`password`]: argon2id hashing on a bounded pool, off the async runtime;
//! - [`mfa`]: second factors (RFC 6238 TOTP with `otpauth://` enrolment,
//!   recovery codes, one-time codes by email or SMS), each accepted once;
//! - [`revocation`]: the local view of revoked tokens, sessions and users;
//! - `oidc` (feature `oidc`): login with an external OpenID Connect provider;
//! - `remote` (feature `remote-jwks`): accepting another issuer's tokens, with
//!   its keys fetched from its JWK Set URL and kept current;
//! - [`store`]: the traits behind which the flows keep their state, and the
//!   embedded [`MemoryStore`].
//!
//! ```
//! use auth_core::{Algorithm, KeySet, TokenIssuer, TokenRequest};
//!
//! let issuer = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://id.example", "api");
//! let token = issuer.issue(&TokenRequest::new("user-1").amr(["pwd"]))?;
//! let claims = issuer.verifier().verify(&token.access_token)?;
//! assert_eq!(claims.subject(), "user-1");
//! # Ok::<(), auth_core::Error>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
pub mod flow;
pub mod keys;
pub mod mfa;
#[cfg(feature = "oidc")]
pub mod oidc;
pub mod password;
mod random;
#[cfg(feature = "remote-jwks")]
pub mod remote;
pub mod revocation;
mod sealing;
pub mod store;
mod time;
pub mod token;

pub use error::Error;
pub use flow::Authenticator;
pub use keys::{Algorithm, KeySet, SigningKey, VerifyingKey};
pub use mfa::{CodeSender, OneTimeCodes, RecoveryCodes, Totp};
pub use password::{PasswordHasher, PasswordPolicy};
pub use revocation::{RevocationList, RevocationQuery, RevocationView};
pub use sealing::{SERVER_SECRET_FILE, ServerSecret};
pub use store::{MemoryStore, Store};
pub use token::{
    AccessClaims, Audience, Claims, IssuedToken, TokenIssuer, TokenRejection, TokenRequest,
    TokenVerifier, Trust, TrustedIssuers, Validation, Verifier,
};
