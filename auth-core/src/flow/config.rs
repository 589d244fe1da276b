//! Flow settings.

use std::time::Duration;

/// Lifetimes and limits of the flows. The defaults follow the reference app's
/// contract: refresh tokens live 14 days, five failures lock an account (and a
/// client address) for the throttling window, an `mfa_token` lives 5 minutes,
/// twenty registrations per client address per hour, a just-rotated refresh
/// token may be presented again for 10 seconds, sensitive account changes need
/// a login within the last 5 minutes, a user holds at most 100 API keys and
/// 20 passkeys, and a client address starts at most 30 passkey sign-ins a minute.
#[derive(Debug, Clone)]
pub struct FlowConfig {
    pub(crate) refresh_ttl: Duration,
    pub(crate) max_failures: u32,
    pub(crate) throttle_window: Duration,
    pub(crate) mfa_token_ttl: Duration,
    pub(crate) registrations_per_window: u32,
    pub(crate) registration_window: Duration,
    pub(crate) refresh_reuse_interval: Duration,
    pub(crate) recent_auth_max_age: Duration,
    pub(crate) max_api_keys_per_user: usize,
    pub(crate) max_passkeys_per_user: usize,
    pub(crate) passkey_challenges_per_window: u32,
    pub(crate) passkey_challenge_window: Duration,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            refresh_ttl: Duration::from_secs(14 * 24 * 3600),
            max_failures: 5,
            throttle_window: Duration::from_secs(15 * 60),
            mfa_token_ttl: Duration::from_secs(300),
            registrations_per_window: 20,
            registration_window: Duration::from_secs(3600),
            refresh_reuse_interval: Duration::from_secs(10),
            recent_auth_max_age: Duration::from_secs(300),
            max_api_keys_per_user: 100,
            max_passkeys_per_user: 20,
            passkey_challenges_per_window: 30,
            passkey_challenge_window: Duration::from_secs(60),
        }
    }
}

impl FlowConfig {
    /// Refresh-token lifetime (each rotation issues a token valid this long).
    #[must_use]
    pub fn refresh_ttl(mut self, ttl: Duration) -> Self {
        self.refresh_ttl = ttl;
        self
    }

    /// Failed attempts per account (and per client address) before throttling.
    #[must_use]
    pub fn max_failures(mut self, failures: u32) -> Self {
        self.max_failures = failures.max(1);
        self
    }

    /// How long failures are counted, from the first one; throttling ends with it.
    #[must_use]
    pub fn throttle_window(mut self, window: Duration) -> Self {
        self.throttle_window = window.max(Duration::from_secs(1));
        self
    }

    /// Lifetime of the `mfa_token` that binds the password step to the second step.
    #[must_use]
    pub fn mfa_token_ttl(mut self, ttl: Duration) -> Self {
        self.mfa_token_ttl = ttl;
        self
    }

    /// Registrations allowed per client address in each `window` (fixed
    /// windows, counted in the store, so the limit holds across instances and
    /// under concurrent requests); past it, [`FlowError::TooManyAttempts`](crate::FlowError::TooManyAttempts).
    #[must_use]
    pub fn registrations_per(mut self, count: u32, window: Duration) -> Self {
        self.registrations_per_window = count.max(1);
        self.registration_window = window.max(Duration::from_secs(1));
        self
    }

    /// How long a just-rotated refresh token may be presented again and get
    /// the *same* successor (two tabs refreshing at once), as long as that
    /// successor is still current. Zero: strict rotation, any second use is
    /// reuse and revokes the family.
    #[must_use]
    pub fn refresh_reuse_interval(mut self, interval: Duration) -> Self {
        self.refresh_reuse_interval = interval;
        self
    }

    /// How recent the user's last authentication (`auth_time`) must be for
    /// sensitive account changes: creating API keys, enrolling a second
    /// factor. The routes of `auth-middleware` enforce it (RFC 9470
    /// `max_age`).
    #[must_use]
    pub fn recent_auth_max_age(mut self, max_age: Duration) -> Self {
        self.recent_auth_max_age = max_age;
        self
    }

    /// The most live API keys one user may hold (at least 1).
    #[must_use]
    pub fn max_api_keys_per_user(mut self, max: usize) -> Self {
        self.max_api_keys_per_user = max.max(1);
        self
    }

    /// The most passkeys one user may hold (at least 1).
    #[must_use]
    pub fn max_passkeys_per_user(mut self, max: usize) -> Self {
        self.max_passkeys_per_user = max.max(1);
        self
    }

    /// Passkey sign-ins a client address may start per `window` (at least
    /// one each). Each start keeps a ceremony in the store for five minutes,
    /// so this bounds what an anonymous client can make the store hold.
    #[must_use]
    pub fn passkey_challenges_per(mut self, count: u32, window: Duration) -> Self {
        self.passkey_challenges_per_window = count.max(1);
        self.passkey_challenge_window = window.max(Duration::from_secs(1));
        self
    }

    /// The recent-authentication bound for sensitive account changes.
    pub fn recent_auth(&self) -> Duration {
        self.recent_auth_max_age
    }

    /// The refresh-token lifetime.
    pub fn refresh_ttl_secs(&self) -> u64 {
        self.refresh_ttl.as_secs()
    }

    /// The failures allowed before throttling.
    pub fn failures_allowed(&self) -> u32 {
        self.max_failures
    }

    pub(crate) fn window_secs(&self) -> i64 {
        secs(self.throttle_window)
    }

    pub(crate) fn reuse_interval_secs(&self) -> i64 {
        secs(self.refresh_reuse_interval)
    }
}

/// A duration in whole seconds as an `i64` (saturating).
pub(crate) fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}
