//! Signing and verification keys: generation, rotation, PEM files and JWK Sets.

mod algorithm;
mod material;
mod set;

pub use algorithm::Algorithm;
pub use material::{SigningKey, VerifyingKey};
pub use set::KeySet;
