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
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod keys;
pub mod revocation;
pub mod token;

#[cfg(feature = "flows")]
#[cfg_attr(docsrs, doc(cfg(feature = "flows")))]
pub mod flow;
#[cfg(feature = "flows")]
#[cfg_attr(docsrs, doc(cfg(feature = "flows")))]
pub mod mfa;
#[cfg(feature = "flows")]
#[cfg_attr(docsrs, doc(cfg(feature = "flows")))]
pub mod password;
#[cfg(feature = "flows")]
#[cfg_attr(docsrs, doc(cfg(feature = "flows")))]
pub mod store;

#[cfg(feature = "oidc")]
#[cfg_attr(docsrs, doc(cfg(feature = "oidc")))]
pub mod external;
#[cfg(feature = "passkeys")]
#[cfg_attr(docsrs, doc(cfg(feature = "passkeys")))]
pub mod passkey;
#[cfg(feature = "remote-jwks")]
#[cfg_attr(docsrs, doc(cfg(feature = "remote-jwks")))]
pub mod remote;

#[cfg(any(feature = "oidc", feature = "remote-jwks"))]
mod outbound;
mod random;
#[cfg(feature = "flows")]
mod sealing;
mod time;

pub use keys::{Algorithm, KeyError, KeySet, SigningKey, VerifyingKey};
#[cfg(any(feature = "oidc", feature = "remote-jwks"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "oidc", feature = "remote-jwks"))))]
pub use outbound::EndpointError;
pub use random::RandomError;
pub use revocation::{Revocation, RevocationList, RevocationQuery, RevocationView};
pub use token::{
    AccessClaims, Audience, Claims, IssuedToken, TokenError, TokenIssuer, TokenRejection,
    TokenRequest, TokenVerifier, Trust, TrustedIssuers, Validation, Verifier,
};

#[cfg(feature = "flows")]
#[cfg_attr(docsrs, doc(cfg(feature = "flows")))]
pub use {
    flow::{Authenticator, FlowError},
    mfa::{CodeSender, MfaError, OneTimeCodes, RecoveryCodes, Totp},
    password::{PasswordError, PasswordHasher, PasswordPolicy},
    sealing::{SERVER_SECRET_FILE, ServerSecret},
    store::{MemoryStore, Store, StoreError},
};
