//! Password hashing with argon2id (placeholder module, filled in by the password work).

/// Hashes and verifies passwords.
#[derive(Debug, Clone, Default)]
pub struct PasswordHasher;

/// Limits on passwords.
#[derive(Debug, Clone, Default)]
pub struct PasswordPolicy;
