//! Short-lived codes sent by email or SMS as a second factor.
//!
//! Only the hash of the code is stored (under `otc:{user id}`, the latest code
//! replacing the previous one), it is taken from the store when it is used, so
//! it works once, and it stops working after its validity or after too many
//! wrong guesses. A six-digit code is easy to guess without throttling, so
//! [`OneTimeCodes::verify`] counts failures itself, in the [`ThrottleStore`].
//!
//! The code passes through the library in one place only: the application's
//! [`CodeSender`]. The library never logs it, and [`OneTimeCode`] hides it
//! from `Debug`.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use zeroize::Zeroizing;

use super::MfaError;
use crate::store::{OneTimeStore, SecretHash, ThrottleStore, User};

/// The domain label of one-time-code hashes in [`SecretHash::of`].
const HASH_DOMAIN: &str = "one-time-code";
/// Digits per code.
const DIGITS: usize = 6;
/// 10^DIGITS.
const CODE_SPACE: u32 = 1_000_000;

/// How a code reaches the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Channel {
    /// By email.
    Email,
    /// By text message.
    Sms,
}

impl Channel {
    /// `email` or `sms`.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

/// A one-time code on its way to the user: zeroized on drop, hidden from
/// `Debug`, and without `Display`, so it cannot end up in a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeCode(Zeroizing<String>);

impl OneTimeCode {
    /// The six digits, for the message to the user and nothing else.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeCode(..)")
    }
}

/// Delivers one-time codes; the application implements it with its mail or
/// SMS provider.
///
/// The sender is the one component that sees the code, because delivering it
/// is its job. It must not log the code, put it in an error, or send it
/// anywhere but to the user. Where the user's address or number is kept is the
/// application's business: [`User::id`] identifies the user.
///
/// ```
/// use async_trait::async_trait;
/// use auth_core::mfa::{Channel, CodeSender, DeliveryError, OneTimeCode};
/// use auth_core::store::User;
///
/// /// The application's mail client.
/// struct Mailer;
///
/// impl Mailer {
///     async fn send_mail(&self, user_id: &str, body: &str) -> Result<(), std::io::Error> {
///         # let _ = (user_id, body);
///         Ok(())
///     }
/// }
///
/// #[async_trait]
/// impl CodeSender for Mailer {
///     async fn send(&self, user: &User, _: Channel, code: &OneTimeCode) -> Result<(), DeliveryError> {
///         let body = format!("Your sign-in code is {}.", code.expose_secret());
///         self.send_mail(&user.id, &body).await?; // its error names no code
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait CodeSender: Send + Sync + 'static {
    /// Sends `code` to `user` over `channel`. On failure, return an error
    /// whose message does not contain the code.
    async fn send(
        &self,
        user: &User,
        channel: Channel,
        code: &OneTimeCode,
    ) -> Result<(), DeliveryError>;
}

/// What a [`CodeSender`] answers when it could not deliver a code: any error
/// of its own (the mail or SMS client's), which must not hold the code.
pub type DeliveryError = Box<dyn std::error::Error + Send + Sync>;

/// **For development only.** A [`CodeSender`] that writes the code to the log
/// at `warn` level instead of sending it, so that a demo or a local setup can
/// be used without a mail or SMS provider.
///
/// Never use it in production: anyone who can read the logs can pass the
/// second factor. This is the only place where `auth-core` logs a code.
#[derive(Clone, Copy, Debug, Default)]
pub struct DevLogSender;

#[async_trait]
impl CodeSender for DevLogSender {
    async fn send(
        &self,
        user: &User,
        channel: Channel,
        code: &OneTimeCode,
    ) -> Result<(), DeliveryError> {
        tracing::warn!(
            target: "auth_core::mfa::dev_log_sender",
            user_id = %user.id,
            channel = channel.as_str(),
            "!!! DEVELOPMENT ONLY (DevLogSender, never in production) !!! one-time code {} for user {}",
            code.expose_secret(),
            user.id,
        );
        Ok(())
    }
}

/// Issues and checks one-time codes sent by email or SMS.
///
/// ```
/// use auth_core::mfa::OneTimeCodes;
/// use std::time::Duration;
///
/// let codes = OneTimeCodes::new().valid_for(Duration::from_secs(600)).max_attempts(3);
/// // When the second factor is due:
/// //     codes.issue(&store, &mailer, &user, Channel::Email, now).await?;
/// // When the user submits what they received:
/// //     if codes.verify(&store, &user.id, &typed, now).await? { … }
/// # assert_ne!(codes, OneTimeCodes::new());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneTimeCodes {
    valid_for_secs: i64,
    max_attempts: u32,
}

impl Default for OneTimeCodes {
    fn default() -> Self {
        OneTimeCodes::new()
    }
}

impl OneTimeCodes {
    /// Codes valid for 5 minutes, refused after 5 wrong guesses.
    pub fn new() -> Self {
        OneTimeCodes {
            valid_for_secs: 300,
            max_attempts: 5,
        }
    }

    /// How long a code can be used after it is issued (at least one second).
    #[must_use]
    pub fn valid_for(mut self, validity: Duration) -> Self {
        self.valid_for_secs = i64::try_from(validity.as_secs()).unwrap_or(i64::MAX).max(1);
        self
    }

    /// Attempts allowed for a user (a success starts the count afresh); past
    /// them every code is refused, the right one too, until the window (as
    /// long as a code's validity, from the first failed attempt) has passed.
    /// At least 1.
    #[must_use]
    pub fn max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Draws a new code for `user`, keeps its hash (replacing the previous
    /// code) and has `sender` deliver it. Returns when the code expires.
    pub async fn issue<St, Se>(
        &self,
        store: &St,
        sender: &Se,
        user: &User,
        channel: Channel,
        now: i64,
    ) -> Result<i64, MfaError>
    where
        St: OneTimeStore + ?Sized,
        Se: CodeSender + ?Sized,
    {
        let code = random_code()?;
        let expires_at = now.saturating_add(self.valid_for_secs);
        store
            .put_code(
                &code_key(&user.id),
                &code_hash(&user.id, code.expose_secret()),
                expires_at,
            )
            .await?;
        sender
            .send(user, channel, &code)
            .await
            .map_err(MfaError::Delivery)?;
        Ok(expires_at)
    }

    /// Whether `code` is the user's current code: `true` once, after which
    /// the code is gone. `false` for a wrong, malformed, expired or used code,
    /// and for every code once `max_attempts` wrong ones were counted.
    pub async fn verify<St>(
        &self,
        store: &St,
        user_id: &str,
        code: &str,
        now: i64,
    ) -> Result<bool, MfaError>
    where
        St: OneTimeStore + ThrottleStore + ?Sized,
    {
        // Every attempt is counted before it is tried, so that concurrent
        // guesses cannot slip past the limit between a check and a count.
        let attempts_key = attempts_key(user_id);
        let attempts = store
            .record_failure(&attempts_key, now, self.valid_for_secs)
            .await?;
        if attempts.count > self.max_attempts {
            return Ok(false);
        }
        let well_formed = code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            return Ok(false);
        }
        let used = store
            .consume_code(&code_key(user_id), &code_hash(user_id, code), now)
            .await?;
        if used {
            store.clear_failures(&attempts_key).await?;
        }
        Ok(used)
    }
}

fn code_key(user_id: &str) -> String {
    format!("otc:{user_id}")
}

fn attempts_key(user_id: &str) -> String {
    format!("otc-attempts:{user_id}")
}

/// Binding the hash to the user means a code hash copied between accounts in
/// the store is worthless. It does not make a six-digit code hard to find from
/// its hash; the code's short life and single use are what protect it.
fn code_hash(user_id: &str, code: &str) -> SecretHash {
    let input = Zeroizing::new(format!("{user_id}\0{code}"));
    SecretHash::of(HASH_DOMAIN, input.as_bytes())
}

/// A uniform six-digit code: 32-bit draws at or above the largest multiple of
/// 10^6 are rejected, so no code is likelier than another.
fn random_code() -> Result<OneTimeCode, MfaError> {
    const LIMIT: u32 = u32::MAX - u32::MAX % CODE_SPACE;
    loop {
        let mut bytes = Zeroizing::new([0u8; 4]);
        crate::random::fill(bytes.as_mut())?;
        let value = Zeroizing::new(u32::from_le_bytes(*bytes));
        if *value < LIMIT {
            return Ok(OneTimeCode(Zeroizing::new(format!(
                "{:0width$}",
                *value % CODE_SPACE,
                width = DIGITS
            ))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_ascii_digits() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let code = random_code().unwrap();
            assert_eq!(code.expose_secret().len(), 6);
            assert!(code.expose_secret().bytes().all(|b| b.is_ascii_digit()));
            seen.insert(code.expose_secret().to_owned());
        }
        // 200 draws from 10^6 codes repeat with probability about 2 %; far
        // fewer distinct codes would mean the generator is broken.
        assert!(seen.len() >= 190, "{}", seen.len());
    }

    #[test]
    fn codes_stay_out_of_debug_output() {
        let code = random_code().unwrap();
        let debug = format!("{code:?}");
        assert_eq!(debug, "OneTimeCode(..)");
        assert!(!debug.contains(code.expose_secret()));
    }

    #[test]
    fn hashes_bind_the_user() {
        assert_ne!(code_hash("alice", "123456"), code_hash("bob", "123456"));
        assert_ne!(code_hash("alice", "123456"), code_hash("alice", "123457"));
        assert_eq!(code_hash("alice", "123456"), code_hash("alice", "123456"));
    }

    #[test]
    fn settings_are_clamped() {
        let codes = OneTimeCodes::new()
            .valid_for(Duration::ZERO)
            .max_attempts(0);
        assert_eq!(codes.valid_for_secs, 1);
        assert_eq!(codes.max_attempts, 1);
        assert_eq!(OneTimeCodes::default(), OneTimeCodes::new());
        assert_eq!(OneTimeCodes::new().valid_for_secs, 300);
    }
}
