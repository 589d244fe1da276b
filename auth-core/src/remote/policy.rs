//! When a remote JWK Set is fetched again.

use std::time::Duration;

/// When a [`RemoteJwks`](super::RemoteJwks) fetches its JWK Set again.
///
/// The set is refreshed in the background before the lifetime its
/// `Cache-Control: max-age` grants runs out (bounded to
/// [`max_age_bounds`](RefreshPolicy::max_age_bounds), one hour without the
/// header), and early when a token names a key the set lacks, but never more
/// than once per [`min_fetch_interval`](RefreshPolicy::min_fetch_interval):
/// a flood of tokens with made-up `kid`s cannot make us hammer the issuer.
///
/// ```
/// use std::time::Duration;
/// use auth_core::remote::RefreshPolicy;
///
/// let policy = RefreshPolicy::default().min_fetch_interval(Duration::from_secs(30));
/// assert_eq!(policy.fetch_interval(), Duration::from_secs(30));
/// ```
#[derive(Debug, Clone)]
pub struct RefreshPolicy {
    pub(super) min_interval: Duration,
    pub(super) default_max_age: Duration,
    pub(super) shortest_max_age: Duration,
    pub(super) longest_max_age: Duration,
    pub(super) timeout: Duration,
}

impl Default for RefreshPolicy {
    /// At most one fetch per 10 s; `max-age` bounded to [1 min, 24 h], 1 h
    /// without one; 10 s for a whole HTTP exchange.
    fn default() -> Self {
        RefreshPolicy {
            min_interval: Duration::from_secs(10),
            default_max_age: Duration::from_secs(3600),
            shortest_max_age: Duration::from_secs(60),
            longest_max_age: Duration::from_secs(24 * 3600),
            timeout: Duration::from_secs(10),
        }
    }
}

impl RefreshPolicy {
    /// The shortest time between two fetches, whatever triggers them
    /// (10 s by default). Triggers within it are merged into one fetch at
    /// its end.
    #[must_use]
    pub fn min_fetch_interval(mut self, interval: Duration) -> Self {
        self.min_interval = interval;
        self
    }

    /// The bounds put on the issuer's `Cache-Control: max-age` (1 min and
    /// 24 h by default): shorter would hammer it, longer would miss its
    /// retirements of keys.
    #[must_use]
    pub fn max_age_bounds(mut self, shortest: Duration, longest: Duration) -> Self {
        self.shortest_max_age = shortest.min(longest);
        self.longest_max_age = longest.max(shortest);
        self
    }

    /// The lifetime of a JWK Set served without `Cache-Control: max-age`
    /// (1 h by default; still within the bounds).
    #[must_use]
    pub fn default_max_age(mut self, max_age: Duration) -> Self {
        self.default_max_age = max_age;
        self
    }

    /// The longest a whole HTTP exchange may take (10 s by default).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The shortest time between two fetches.
    pub fn fetch_interval(&self) -> Duration {
        self.min_interval
    }

    /// How long after a successful fetch the next one is due: a tenth before
    /// the (bounded) lifetime the issuer granted runs out, so that keys are
    /// fresh before they are stale.
    pub(super) fn refresh_after(&self, max_age: Option<Duration>) -> Duration {
        let lifetime = max_age
            .unwrap_or(self.default_max_age)
            .clamp(self.shortest_max_age, self.longest_max_age);
        lifetime.saturating_sub(lifetime / 10)
    }

    /// How long after a failed fetch the next one is due (an unknown key
    /// may still trigger one sooner, within the rate limit).
    pub(super) fn retry_after(&self) -> Duration {
        self.shortest_max_age
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuers_lifetime_is_bounded_and_refreshed_early() {
        let policy = RefreshPolicy::default();
        let secs = Duration::from_secs;
        assert_eq!(policy.refresh_after(None), secs(3240));
        assert_eq!(policy.refresh_after(Some(secs(600))), secs(540));
        assert_eq!(policy.refresh_after(Some(Duration::ZERO)), secs(54));
        assert_eq!(
            policy.refresh_after(Some(secs(365 * 24 * 3600))),
            secs(24 * 3600 - 24 * 360)
        );
        let swapped = policy.max_age_bounds(secs(100), secs(10));
        assert_eq!(swapped.refresh_after(Some(secs(1))), secs(9));
    }
}
