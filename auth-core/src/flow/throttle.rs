//! Attempts reserved in the store before the work they guard.

use super::FlowError;
use super::{Authenticator, ClientInfo};
use crate::store::{Attempt, Failures};

/// What is being throttled; each step counts in keys of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// The password step, per account and per client address.
    Login,
    /// The second step, per account and per client address.
    Mfa,
    /// Registration, per client address.
    Register,
    /// Passkey sign-in, per client address.
    #[cfg(feature = "passkeys")]
    Passkey,
    /// Starting a passkey sign-in (each keeps a ceremony), per client address.
    #[cfg(feature = "passkeys")]
    PasskeyChallenge,
}

impl Step {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Step::Login => "login",
            Step::Mfa => "mfa",
            Step::Register => "register",
            #[cfg(feature = "passkeys")]
            Step::Passkey => "passkey",
            #[cfg(feature = "passkeys")]
            Step::PasskeyChallenge => "passkey_challenge",
        }
    }
}

/// One attempt, counted against its keys until it is given back. Dropping
/// it leaves the attempt counted: a failure.
#[must_use = "an attempt is counted as a failure unless given back"]
pub(crate) struct Reservation {
    account: Option<String>,
    address: Option<String>,
}

impl Reservation {
    /// Counts one attempt of `step` against the client address, then the
    /// account: the address first, so that a flood from one address over
    /// many names stops there and leaves nothing behind per name. A key at
    /// its limit refuses the attempt (and the key already counted gives its
    /// count back).
    pub(crate) async fn take(
        auth: &Authenticator,
        step: Step,
        account: Option<&str>,
        client: &ClientInfo,
    ) -> Result<Reservation, FlowError> {
        let config = &auth.inner.config;
        let (limit, window) = match step {
            Step::Register => (
                config.registrations_per_window,
                super::config::secs(config.registration_window),
            ),
            #[cfg(feature = "passkeys")]
            Step::PasskeyChallenge => (
                config.passkey_challenges_per_window,
                super::config::secs(config.passkey_challenge_window),
            ),
            #[cfg(feature = "passkeys")]
            Step::Passkey => (config.max_failures, config.window_secs()),
            Step::Login | Step::Mfa => (config.max_failures, config.window_secs()),
        };
        let store = &auth.inner.store;
        let now = crate::time::now();
        let mut reservation = Reservation {
            account: None,
            address: None,
        };
        let keys = [
            client
                .throttle_address()
                .map(|address| (false, format!("{}:address:{address}", step.name()))),
            account.map(|account| (true, format!("{}:account:{account}", step.name()))),
        ];
        for (is_account, key) in keys.into_iter().flatten() {
            let attempt = match store.reserve_attempt(&key, now, window, limit).await {
                Ok(attempt) => attempt,
                Err(error) => {
                    reservation.give_back(auth).await;
                    return Err(error.into());
                }
            };
            match attempt {
                Attempt::Reserved(_) if is_account => reservation.account = Some(key),
                Attempt::Reserved(_) => reservation.address = Some(key),
                Attempt::Refused(failures) => {
                    reservation.give_back(auth).await;
                    return Err(too_many(failures, now));
                }
            }
        }
        Ok(reservation)
    }

    /// The attempt does not count (the server could not check it): every key
    /// gets its count back. Best effort: a store that fails here leaves the
    /// attempt counted, which errs on the safe side.
    pub(crate) async fn give_back(self, auth: &Authenticator) {
        let now = crate::time::now();
        for key in [self.account, self.address].into_iter().flatten() {
            if let Err(error) = auth.inner.store.release_attempt(&key, now).await {
                tracing::warn!(%error, "an attempt could not be given back; it stays counted");
            }
        }
    }

    /// The attempt succeeded: the account's failures are forgotten and the
    /// address gets its count back (a successful login is no failure of the
    /// address either).
    pub(crate) async fn succeeded(self, auth: &Authenticator) -> Result<(), FlowError> {
        let store = &auth.inner.store;
        if let Some(account) = &self.account {
            store.clear_failures(account).await?;
        }
        if let Some(address) = &self.address {
            store.release_attempt(address, crate::time::now()).await?;
        }
        Ok(())
    }
}

/// The refusal for a key whose window ends at `failures.window_ends`.
fn too_many(failures: Failures, now: i64) -> FlowError {
    let retry_after = failures.window_ends.saturating_sub(now);
    FlowError::TooManyAttempts {
        retry_after: u64::try_from(retry_after).unwrap_or(1).max(1),
    }
}
