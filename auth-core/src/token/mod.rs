//! Access tokens: issuing and verifying RFC 9068 JWTs.

mod cache;
mod claims;
mod error;
mod issuer;
pub(crate) mod jws;
mod rejection;
mod trusted_issuers;
mod validation;
mod verifier;

pub use cache::{CacheLimits, CacheUsage, DEFAULT_CACHE_BYTES, DEFAULT_CACHE_ENTRIES};
pub use claims::{AccessClaims, Audience, Claims, Trust};
pub use error::TokenError;
pub use issuer::{DEFAULT_ACCESS_TTL, IssuedToken, TokenIssuer, TokenRequest};
pub use rejection::TokenRejection;
pub use trusted_issuers::TrustedIssuers;
pub use validation::{DEFAULT_MAX_TOKEN_LEN, MAX_LEEWAY, Validation};
pub use verifier::{TokenVerifier, Verifier};
