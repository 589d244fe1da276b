//! Flow settings.

use std::time::Duration;

/// Lifetimes and limits of the flows. The defaults follow the reference app's
/// contract: refresh tokens live 14 days, five failures lock an account (and a
/// client address) for the throttling window, an `mfa_token` lives 5 minutes.
#[derive(Debug, Clone)]
pub struct FlowConfig {
    pub(crate) refresh_ttl: Duration,
    pub(crate) max_failures: u32,
    pub(crate) throttle_window: Duration,
    pub(crate) mfa_token_ttl: Duration,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            refresh_ttl: Duration::from_secs(14 * 24 * 3600),
            max_failures: 5,
            throttle_window: Duration::from_secs(15 * 60),
            mfa_token_ttl: Duration::from_secs(300),
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
}

/// A duration in whole seconds as an `i64` (saturating).
pub(crate) fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}
