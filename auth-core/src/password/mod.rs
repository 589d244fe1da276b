//! Passwords: argon2id hashing (PHC strings) on a bounded pool off the async
//! runtime, length rules from NIST SP 800-63B, rehash on parameter change, and
//! a dummy verification for unknown users.
//!
//! - [`PasswordPolicy`]: lengths, argon2id parameters (OWASP's by default,
//!   never weaker except through
//!   [`PasswordPolicy::insecure_fast_for_tests`]), pool size;
//! - [`PasswordHasher`]: `hash`, `verify`, `verify_dummy`, `needs_rehash`.

mod error;
mod hasher;
mod phc;
mod policy;
mod pool;
#[cfg(test)]
mod tests;

pub use error::PasswordError;
pub use hasher::{PasswordCheck, PasswordHasher};
pub use policy::{Argon2Params, DEFAULT_HASH_QUEUE, PasswordPolicy, PasswordProblem};
pub use pool::PoolStats;
