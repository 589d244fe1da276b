//! What a password must look like, and how hard argon2id works on it.

use std::fmt;

use subtle::ConstantTimeEq;

use super::PasswordError;

/// Argon2id cost parameters, named as OWASP and RFC 9106 name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory per hash, in KiB (`m`).
    pub memory_kib: u32,
    /// Passes over that memory (`t`).
    pub iterations: u32,
    /// Lanes (`p`). The `argon2` crate computes lanes one after the other, so
    /// more lanes change the hash but buy no speed.
    pub parallelism: u32,
}

impl Argon2Params {
    /// OWASP's first recommendation (Password Storage Cheat Sheet): 19 MiB,
    /// 2 passes, 1 lane. The default.
    pub const OWASP: Self = Self {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };

    /// OWASP's equally strong configurations, trading memory for passes, as
    /// `(memory_kib, iterations)`.
    const OWASP_CONFIGURATIONS: [(u32, u32); 5] = [
        (47_104, 1),
        (19_456, 2),
        (12_288, 3),
        (9_216, 4),
        (7_168, 5),
    ];

    /// Whether these parameters are at least as strong as one of OWASP's
    /// recommended configurations (46 MiB × 1, 19 MiB × 2, 12 MiB × 3,
    /// 9 MiB × 4 or 7 MiB × 5), both in memory and in passes.
    pub fn meets_owasp_minimum(&self) -> bool {
        self.parallelism >= 1
            && Self::OWASP_CONFIGURATIONS
                .iter()
                .any(|&(memory_kib, iterations)| {
                    self.memory_kib >= memory_kib && self.iterations >= iterations
                })
    }

    fn to_argon2(self) -> Result<argon2::Params, PasswordError> {
        argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(PasswordError::Params)
    }

    fn from_argon2(params: &argon2::Params) -> Self {
        Self {
            memory_kib: params.m_cost(),
            iterations: params.t_cost(),
            parallelism: params.p_cost(),
        }
    }
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self::OWASP
    }
}

/// The cheapest parameters argon2 accepts: 8 KiB, one pass, one lane.
const INSECURE_TEST_PARAMS: argon2::Params = match argon2::Params::new(8, 1, 1, None) {
    Ok(params) => params,
    // Evaluated at compile time: a build error, never a runtime panic.
    Err(_) => panic!("argon2 refuses its own minimum parameters"),
};

/// Why a new password is refused (NIST SP 800-63B's length and context rules).
///
/// All three map to the same `weak_password` answer in an HTTP flow; the
/// variant says which rule, for a message to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordProblem {
    /// Fewer characters than the policy's minimum.
    TooShort {
        /// The minimum, in characters.
        min: usize,
    },
    /// More characters than the policy's maximum.
    TooLong {
        /// The maximum, in characters.
        max: usize,
    },
    /// The password is the username (compared without regard to case).
    SameAsUsername,
}

impl fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { min } => write!(f, "the password must have at least {min} characters"),
            Self::TooLong { max } => write!(f, "the password must have at most {max} characters"),
            Self::SameAsUsername => f.write_str("the password must not be the username"),
        }
    }
}

/// Limits on passwords and the cost of hashing them.
///
/// The default follows OWASP and NIST SP 800-63B: argon2id with
/// [`Argon2Params::OWASP`], new passwords of 8 to 128 characters (counted as
/// Unicode scalar values, not bytes), and as many hashes at a time as there
/// are cores minus one (at least 1).
///
/// ```
/// use auth_core::PasswordPolicy;
/// use auth_core::password::Argon2Params;
///
/// let policy = PasswordPolicy::default()
///     .min_chars(12)
///     .max_concurrency(4)
///     .argon2(Argon2Params { memory_kib: 47_104, iterations: 1, parallelism: 1 })?;
/// assert_eq!(policy.min_len(), 12);
///
/// // Below OWASP's minimum: refused.
/// assert!(PasswordPolicy::default().argon2(Argon2Params { memory_kib: 4096, iterations: 2, parallelism: 1 }).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    min_chars: usize,
    max_chars: usize,
    params: argon2::Params,
    max_concurrency: usize,
    max_queue: usize,
}

/// The default bound on password checks waiting for the pool.
pub const DEFAULT_HASH_QUEUE: usize = 64;

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 8,
            max_chars: 128,
            params: argon2::Params::DEFAULT,
            max_concurrency: default_concurrency(),
            max_queue: DEFAULT_HASH_QUEUE,
        }
    }
}

/// One core is left to the async runtime so that a burst of logins cannot
/// take every core away from request handling.
fn default_concurrency() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |cores| cores.get().saturating_sub(1))
        .max(1)
}

impl PasswordPolicy {
    /// **Insecure: for tests only.** The cheapest argon2id parameters
    /// (8 KiB, one pass, one lane), so that a test suite can log users in by
    /// the hundred in a debug build.
    ///
    /// A hash made with these parameters can be brute-forced at millions of
    /// guesses per second: never use this policy for a real password. It is
    /// the only way to get parameters below the OWASP minimum
    /// ([`PasswordPolicy::argon2`] refuses them), a hasher built with it logs
    /// a warning, and a hasher with a real policy reports its hashes as
    /// needing a rehash.
    pub fn insecure_fast_for_tests() -> Self {
        Self {
            params: INSECURE_TEST_PARAMS,
            ..Self::default()
        }
    }

    /// Sets the minimum length of a new password, in characters (default 8).
    ///
    /// Only [`hash`](crate::PasswordHasher::hash) and
    /// [`check_new_password`](Self::check_new_password) apply it:
    /// verification accepts passwords set under an older, laxer policy.
    pub fn min_chars(mut self, chars: usize) -> Self {
        self.min_chars = chars;
        self
    }

    /// Sets the maximum length of a password, in characters (default 128).
    ///
    /// Longer passwords are refused before any hashing, by hash and by verify
    /// alike, so that nobody can make the server hash megabytes.
    pub fn max_chars(mut self, chars: usize) -> Self {
        self.max_chars = chars;
        self
    }

    /// Sets how many hashes may run at the same time (default: the number of
    /// cores minus one, at least 1; 0 counts as 1). Memory use is bounded by
    /// this number times the argon2 memory cost.
    pub fn max_concurrency(mut self, hashes: usize) -> Self {
        self.max_concurrency = hashes.max(1);
        self
    }

    /// Sets the argon2id cost parameters of new hashes.
    ///
    /// # Errors
    /// [`PasswordError::Params`] if they are weaker than every OWASP
    /// configuration (see [`Argon2Params::meets_owasp_minimum`]) or argon2
    /// rejects them (for instance less than 8 KiB of memory per lane).
    pub fn argon2(mut self, params: Argon2Params) -> Result<Self, PasswordError> {
        if !params.meets_owasp_minimum() {
            return Err(PasswordError::BelowMinimum(params));
        }
        self.params = params.to_argon2()?;
        Ok(self)
    }

    /// The minimum length of a new password, in characters.
    pub fn min_len(&self) -> usize {
        self.min_chars
    }

    /// The maximum length of a password, in characters.
    pub fn max_len(&self) -> usize {
        self.max_chars
    }

    /// How many hashes may run at the same time.
    pub fn concurrency(&self) -> usize {
        self.max_concurrency
    }

    /// How many hashes may wait for a free slot of the pool (default
    /// [`DEFAULT_HASH_QUEUE`]); one more is refused at once with
    /// [`PasswordError::Overloaded`] instead of waiting behind a flood, so a flood
    /// cannot make every login wait for seconds. Zero: never wait.
    #[must_use]
    pub fn max_queue(mut self, waiting: usize) -> Self {
        self.max_queue = waiting;
        self
    }

    /// The bound on hashes waiting for the pool.
    pub fn queue(&self) -> usize {
        self.max_queue
    }

    /// The argon2id cost parameters of new hashes.
    pub fn argon2_params(&self) -> Argon2Params {
        Argon2Params::from_argon2(&self.params)
    }

    /// Checks a password chosen at registration or on a password change:
    /// its length and, when given, that it is not the username.
    ///
    /// # Errors
    /// The first rule the password breaks.
    pub fn check_new_password(
        &self,
        password: &str,
        username: Option<&str>,
    ) -> Result<(), PasswordProblem> {
        if exceeds_chars(password, self.max_chars) {
            return Err(PasswordProblem::TooLong {
                max: self.max_chars,
            });
        }
        if fewer_chars(password, self.min_chars) {
            return Err(PasswordProblem::TooShort {
                min: self.min_chars,
            });
        }
        if let Some(username) = username {
            let password = password.to_lowercase();
            let username = username.to_lowercase();
            if bool::from(password.as_bytes().ct_eq(username.as_bytes())) {
                return Err(PasswordProblem::SameAsUsername);
            }
        }
        Ok(())
    }

    /// The length rules for a password about to be hashed.
    pub(super) fn check_new_len(&self, password: &str) -> Result<(), PasswordError> {
        self.check_max_len(password)?;
        if fewer_chars(password, self.min_chars) {
            return Err(PasswordError::TooShort {
                min: self.min_chars,
            });
        }
        Ok(())
    }

    /// The length rule for a password about to be verified.
    pub(super) fn check_max_len(&self, password: &str) -> Result<(), PasswordError> {
        if exceeds_chars(password, self.max_chars) {
            return Err(PasswordError::TooLong {
                max: self.max_chars,
            });
        }
        Ok(())
    }

    pub(super) fn params(&self) -> &argon2::Params {
        &self.params
    }
}

/// Whether `text` has more than `max` characters, without counting all of a
/// huge input: a string of at most `max` bytes cannot have more characters.
fn exceeds_chars(text: &str, max: usize) -> bool {
    text.len() > max && text.chars().nth(max).is_some()
}

/// Whether `text` has fewer than `min` characters.
fn fewer_chars(text: &str, min: usize) -> bool {
    text.chars().take(min).count() < min
}
