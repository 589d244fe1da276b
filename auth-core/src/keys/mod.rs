//! Signing and verification keys: generation, rotation, PEM files, key
//! folders and JWK Sets.

mod algorithm;
mod dir;
mod error;
pub(crate) mod files;
mod jwk;
mod material;
mod pem;
mod set;

pub use algorithm::Algorithm;
pub use error::KeyError;
pub use jwk::{Jwk, JwkSet};
pub use material::{SigningKey, VerifyingKey};
pub use pem::HMAC_SECRET_LABEL;
pub use set::KeySet;
#[cfg(feature = "remote-jwks")]
pub(crate) use set::{UnknownKeyHook, WeakKeySet};
