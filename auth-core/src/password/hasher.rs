//! Hashing and verifying passwords with argon2id on the bounded pool.

use std::fmt;
use std::sync::{Arc, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Version};
use zeroize::Zeroizing;

use super::PasswordError;
use super::phc::{self, StoredHash};
use super::policy::PasswordPolicy;
use super::pool::{HashingPool, PoolStats};

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum PasswordCheck {
    /// The password is right and the hash follows the current policy.
    Match,
    /// The password is right, but the hash was made with other parameters (or
    /// another argon2 variant): hash the password again and store the result.
    MatchNeedsRehash,
    /// The password is wrong (or the user does not exist).
    Mismatch,
}

impl PasswordCheck {
    /// Whether the password is right.
    pub fn is_match(self) -> bool {
        matches!(self, Self::Match | Self::MatchNeedsRehash)
    }
}

/// Hashes and verifies passwords with argon2id (PHC strings), on a bounded
/// pool off the async runtime.
///
/// Cloning is cheap and shares the pool: build one per application.
///
/// # Under a flood
/// At most [`PasswordPolicy::concurrency`] hashes run at a time, each on one
/// of tokio's blocking threads, so argon2 never holds more than that many
/// threads nor more than that many times its memory cost (19 MiB by default).
/// At most [`PasswordPolicy::queue`] other callers wait, in arrival order,
/// asynchronously (a waiting caller holds no thread and no argon2 memory);
/// one more is refused at once with [`PasswordError::Overloaded`] (HTTP 503), so a
/// flood of registrations or logins bounds the wait of a legitimate login to
/// `queue / capacity` hash times instead of growing with the flood. Watch
/// [`PasswordHasher::pool_stats`]. A caller whose future is dropped while it
/// waits (timeout, client gone) leaves the queue and takes nothing; one
/// dropped while its hash runs frees its slot when argon2 finishes, as a
/// running thread cannot be stopped.
///
/// Passwords longer than [`PasswordPolicy::max_len`] are refused before the
/// queue, so an attacker cannot make the server hash megabytes, and they
/// never wait behind a flood either.
///
/// ```
/// use auth_core::{PasswordHasher, PasswordPolicy};
/// use auth_core::password::PasswordCheck;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let policy = PasswordPolicy::insecure_fast_for_tests();
/// # /*
/// let policy = PasswordPolicy::default();
/// # */
/// let hasher = PasswordHasher::new(policy);
/// let stored = hasher.hash("correct horse battery staple").await?;
/// assert_eq!(hasher.verify("correct horse battery staple", &stored).await?, PasswordCheck::Match);
///
/// // Unknown user: the same work, and never a match.
/// assert_eq!(hasher.verify_dummy("guess").await?, PasswordCheck::Mismatch);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Shared>,
}

struct Shared {
    policy: PasswordPolicy,
    pool: HashingPool,
    dummy: OnceLock<String>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new(PasswordPolicy::default())
    }
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("policy", &self.inner.policy)
            .field("pool", &self.pool_stats())
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// A hasher with its own pool of [`PasswordPolicy::concurrency`] slots.
    pub fn new(policy: PasswordPolicy) -> Self {
        if !policy.argon2_params().meets_owasp_minimum() {
            tracing::warn!(
                params = ?policy.argon2_params(),
                "password hasher uses argon2 parameters below the OWASP minimum; this is for tests only"
            );
        }
        let pool = HashingPool::new(policy.concurrency(), policy.queue());
        Self {
            inner: Arc::new(Shared {
                policy,
                pool,
                dummy: OnceLock::new(),
            }),
        }
    }

    /// The policy this hasher applies.
    pub fn policy(&self) -> &PasswordPolicy {
        &self.inner.policy
    }

    /// A snapshot of the pool: capacity, running and waiting hashes.
    pub fn pool_stats(&self) -> PoolStats {
        self.inner.pool.stats()
    }

    /// Hashes a new password into a PHC string
    /// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<digest>`), with a fresh
    /// 16-byte salt.
    ///
    /// # Errors
    /// [`PasswordError::TooLong`] or [`PasswordError::TooShort`] at once,
    /// before waiting for the pool; [`PasswordError::Random`], [`PasswordError::Hashing`] or
    /// [`PasswordError::Pool`] if the machinery fails.
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        self.inner.policy.check_new_len(password)?;
        let salt = phc::random_salt()?;
        let argon2 = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            self.inner.policy.params().clone(),
        );
        let password = Zeroizing::new(password.to_owned());
        self.inner
            .pool
            .run(move || {
                argon2
                    .hash_password(password.as_bytes(), &salt)
                    .map(|hash| hash.to_string())
                    .map_err(PasswordError::Hashing)
            })
            .await?
    }

    /// Checks a password against a stored PHC string, with argon2's
    /// constant-time comparison, and says whether the hash should be
    /// replaced (see [`needs_rehash`](Self::needs_rehash)).
    ///
    /// Hashes made with older parameters or with argon2i/argon2d still
    /// verify; the minimum length is not applied, as the password may
    /// predate the policy.
    ///
    /// # Errors
    /// [`PasswordError::TooLong`] at once, before waiting for the pool;
    /// [`PasswordError::MalformedHash`] if `phc` is not an argon2 PHC string this
    /// hasher agrees to run (stored hashes may ask for more than the policy,
    /// up to 256 MiB and 32 passes); [`PasswordError::Pool`] if the pool fails.
    pub async fn verify(&self, password: &str, phc: &str) -> Result<PasswordCheck, PasswordError> {
        self.inner.policy.check_max_len(password)?;
        let needs_rehash = StoredHash::parse(phc, self.inner.policy.params())?
            .needs_rehash(self.inner.policy.params());
        let matches = self.run_verify(password, phc.to_owned()).await?;
        Ok(match (matches, needs_rehash) {
            (false, _) => PasswordCheck::Mismatch,
            (true, false) => PasswordCheck::Match,
            (true, true) => PasswordCheck::MatchNeedsRehash,
        })
    }

    /// Does the work of [`verify`](Self::verify) for a user that does not
    /// exist, against [`dummy_hash`](Self::dummy_hash), and answers
    /// [`PasswordCheck::Mismatch`]: an unknown username costs the same time as
    /// a wrong password, so response times do not tell which usernames exist.
    ///
    /// # Errors
    /// As [`verify`](Self::verify): an over-long password is refused at once
    /// here too, as it would be for a real user.
    pub async fn verify_dummy(&self, password: &str) -> Result<PasswordCheck, PasswordError> {
        self.inner.policy.check_max_len(password)?;
        let dummy = self.dummy_hash()?.to_owned();
        // The outcome is ignored: the answer for an unknown user is always "no".
        let _ = self.run_verify(password, dummy).await?;
        Ok(PasswordCheck::Mismatch)
    }

    /// Whether a stored hash differs from what [`hash`](Self::hash) would
    /// make now in algorithm, version, parameters, digest length or salt
    /// length. Strings that are not argon2 hashes need a rehash too.
    pub fn needs_rehash(&self, phc: &str) -> bool {
        let current = self.inner.policy.params();
        StoredHash::parse(phc, current)
            .ok()
            .is_none_or(|stored| stored.needs_rehash(current))
    }

    /// The PHC string [`verify_dummy`](Self::verify_dummy) checks against:
    /// the current parameters, a random salt and a random digest, drawn once
    /// per hasher. Verifying against it costs what verifying against a real
    /// current hash costs; no known password matches it.
    ///
    /// # Errors
    /// [`PasswordError::Random`] if the random source fails on first use.
    pub fn dummy_hash(&self) -> Result<&str, PasswordError> {
        if let Some(dummy) = self.inner.dummy.get() {
            return Ok(dummy);
        }
        let fresh = phc::dummy(self.inner.policy.params())?;
        Ok(self.inner.dummy.get_or_init(|| fresh))
    }

    async fn run_verify(&self, password: &str, phc: String) -> Result<bool, PasswordError> {
        let password = Zeroizing::new(password.to_owned());
        self.inner
            .pool
            .run(move || {
                let hash = PasswordHash::new(&phc).map_err(|_| PasswordError::MalformedHash)?;
                // The stored hash names its own algorithm, version and
                // parameters; the default context only supplies the code.
                match Argon2::default().verify_password(password.as_bytes(), &hash) {
                    Ok(()) => Ok(true),
                    Err(argon2::password_hash::Error::Password) => Ok(false),
                    Err(_) => Err(PasswordError::MalformedHash),
                }
            })
            .await?
    }

    #[cfg(test)]
    pub(super) fn pool(&self) -> &HashingPool {
        &self.inner.pool
    }
}
