//! Time-based one-time passwords (RFC 6238 over RFC 4226), as authenticator
//! apps compute them.

use std::fmt;

use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Builder, Secret};
use zeroize::Zeroizing;

use super::MfaError;
use super::enrollment::{TotpEnrollment, percent_encode, qr_svg};
use crate::ServerSecret;
use crate::store::{OneTimeStore, TotpState};

/// RFC 4226 §4 asks for at least 128 bits of shared secret and recommends 160.
const SECRET_LEN: usize = 20;

/// The TOTP settings of an application: the issuer name authenticator apps
/// show, and the RFC 6238 parameters.
///
/// The defaults (SHA-1, 6 digits, 30 s steps, one step of clock skew either
/// way) are what Google Authenticator and the other common apps assume; most
/// of them silently ignore other values, so change them only for clients you
/// control.
///
/// ```
/// use auth_core::mfa::Totp;
///
/// let totp = Totp::issuer("Example");
/// let secret = Totp::generate_secret()?;
/// let enrollment = totp.enrollment(&secret, "alice")?;
/// assert!(enrollment.otpauth_uri.starts_with("otpauth://totp/Example:alice?"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Totp {
    issuer: String,
    digits: u8,
    step_secs: u64,
    skew_steps: u8,
}

impl Totp {
    /// TOTP for the application called `issuer` (the name shown above the
    /// code in authenticator apps), with the RFC defaults.
    pub fn issuer(issuer: impl Into<String>) -> Self {
        Totp {
            issuer: issuer.into(),
            digits: 6,
            step_secs: 30,
            skew_steps: 1,
        }
    }

    /// Code length, 6 (the default) to 8 (RFC 4226 §5.3). Other values make
    /// [`enrollment`](Self::enrollment) fail and every check refuse.
    #[must_use]
    pub fn digits(mut self, digits: u8) -> Self {
        self.digits = digits;
        self
    }

    /// Time step in seconds (RFC 6238 §5.2 recommends the default, 30). Zero
    /// makes [`enrollment`](Self::enrollment) fail and every check refuse.
    #[must_use]
    pub fn step_secs(mut self, step_secs: u64) -> Self {
        self.step_secs = step_secs;
        self
    }

    /// How many steps before and after the current one are accepted, for
    /// clock drift and typing time (default 1, as RFC 6238 §5.2 recommends).
    #[must_use]
    pub fn skew_steps(mut self, skew_steps: u8) -> Self {
        self.skew_steps = skew_steps;
        self
    }

    /// A new random shared secret of 160 bits.
    pub fn generate_secret() -> Result<TotpSecret, MfaError> {
        let mut bytes = Zeroizing::new(vec![0u8; SECRET_LEN]);
        crate::random::fill(&mut bytes)?;
        Ok(TotpSecret(bytes))
    }

    /// What the user needs to add `secret` to an authenticator app: the
    /// secret in base32, the `otpauth://` URI (Key Uri Format) and a QR code
    /// of that URI.
    ///
    /// Fails with [`MfaError::Setup`] when the issuer or `account_name`
    /// holds a `:` (the Key Uri Format separates them by it), when the
    /// account name is empty, or when the settings are out of range.
    pub fn enrollment(
        &self,
        secret: &TotpSecret,
        account_name: &str,
    ) -> Result<TotpEnrollment, MfaError> {
        self.validate()?;
        if self.issuer.contains(':') {
            return Err(MfaError::Setup("the issuer contains ':'"));
        }
        if account_name.is_empty() || account_name.contains(':') {
            return Err(MfaError::Setup("the account name is empty or contains ':'"));
        }
        if secret.0.len() < 16 {
            return Err(MfaError::Setup("the secret is shorter than 128 bits"));
        }

        let secret_base32 = secret.to_base32();
        let issuer = percent_encode(&self.issuer);
        let otpauth_uri = Zeroizing::new(format!(
            "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={digits}&period={period}",
            account = percent_encode(account_name),
            secret = secret_base32.as_str(),
            digits = self.digits,
            period = self.step_secs,
        ));
        let qr_svg = qr_svg(&otpauth_uri)?;
        Ok(TotpEnrollment {
            secret_base32,
            otpauth_uri,
            qr_svg,
        })
    }

    /// The time step (`now / step`) whose code is `code`, if any step within
    /// the skew window around `now` (seconds since the epoch) matches.
    ///
    /// Anything but exactly [`digits`](Self::digits) ASCII digits is refused.
    /// Every candidate step is compared, in constant time, so the answer
    /// time does not tell which (if any) matched. A code is valid for a whole
    /// step and more: the caller must record the step so that the code is
    /// used once, as [`verify_once`](Self::verify_once) does.
    pub fn check(&self, secret: &[u8], code: &str, now: i64) -> Option<u64> {
        if code.len() != usize::from(self.digits) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let generator = self.generator(secret)?;
        let current = u64::try_from(now).ok()? / self.step_secs;
        let skew = u64::from(self.skew_steps);
        let mut matched = None;
        for step in current.saturating_sub(skew)..=current.saturating_add(skew) {
            let Some(time) = step.checked_mul(self.step_secs) else {
                continue;
            };
            let expected = Zeroizing::new(generator.generate(time).to_string());
            let equal: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
            if equal && matched.is_none() {
                matched = Some(step);
            }
        }
        matched
    }

    /// Checks `code` and accepts it once only (RFC 6238 §5.2): the matched
    /// step is recorded as `totp:{user_id}:{step}` in `store` until it leaves
    /// the skew window, so the same code (or another code of that step)
    /// presented again is refused, also on another instance sharing the store.
    ///
    /// `Ok(false)` for a wrong, malformed or replayed code; an error only
    /// when the store fails.
    pub async fn verify_once<S>(
        &self,
        store: &S,
        user_id: &str,
        secret: &[u8],
        code: &str,
        now: i64,
    ) -> Result<bool, MfaError>
    where
        S: OneTimeStore + ?Sized,
    {
        let Some(step) = self.check(secret, code, now) else {
            return Ok(false);
        };
        // The step is accepted until `now` passes its end plus the skew.
        let expires_at = step
            .saturating_add(1)
            .saturating_add(u64::from(self.skew_steps))
            .saturating_mul(self.step_secs);
        let expires_at = i64::try_from(expires_at).unwrap_or(i64::MAX);
        Ok(store
            .use_once(&format!("totp:{user_id}:{step}"), expires_at)
            .await?)
    }

    /// The code an authenticator app shows at `time` for `secret`; `None` if
    /// the settings or the secret are out of range. For tests and tools: a
    /// server only checks codes.
    pub fn code_at(&self, secret: &[u8], time: i64) -> Option<Zeroizing<String>> {
        let time = u64::try_from(time).ok()?;
        Some(Zeroizing::new(
            self.generator(secret)?.generate(time).to_string(),
        ))
    }

    fn validate(&self) -> Result<(), MfaError> {
        if !(6..=8).contains(&self.digits) {
            return Err(MfaError::Setup("digits must be 6 to 8"));
        }
        if self.step_secs == 0 {
            return Err(MfaError::Setup("the time step must be at least one second"));
        }
        Ok(())
    }

    /// totp-rs computes the codes; its own check is not used because it stops
    /// at the first match and does not say which step matched in constant time.
    fn generator(&self, secret: &[u8]) -> Option<totp_rs::Totp> {
        self.validate().ok()?;
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(self.digits)
            .with_step_duration(self.step_secs)
            .with_skew(0)
            .with_secret(Secret::from(secret))
            .build()
            .ok()
    }
}

/// A TOTP shared secret: zeroized on drop, never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl TotpSecret {
    /// A secret from its bytes (for instance, read back from a store).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        TotpSecret(Zeroizing::new(bytes))
    }

    /// A secret from its base32 form (RFC 4648, upper or lower case, padding
    /// optional); `None` if `text` is not base32.
    pub fn from_base32(text: &str) -> Option<Self> {
        let text = Zeroizing::new(text.trim_end_matches('=').to_ascii_uppercase());
        let secret = Secret::try_from_base32(text.as_str()).ok()?;
        Some(TotpSecret::from_bytes(secret.as_bytes().to_vec()))
    }

    /// The raw bytes, for [`Totp::check`] and for storing.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// RFC 4648 base32 without padding, the form users type into an app.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(Secret::from(self.as_bytes()).to_base32())
    }

    /// The store record for this secret of user `user_id`: sealed with
    /// `server` (AES-256-GCM, bound to the user, so a record copied to
    /// another account does not open), `confirmed` once the user has proven,
    /// with a first code, that the app holds it.
    pub fn seal(
        &self,
        server: &ServerSecret,
        user_id: &str,
        confirmed: bool,
    ) -> Result<TotpState, MfaError> {
        let sealed = server.seal(SEAL_PURPOSE, user_id.as_bytes(), self.as_bytes())?;
        Ok(TotpState {
            secret: Zeroizing::new(sealed),
            confirmed,
        })
    }

    /// The secret of a store record [`seal`](Self::seal) made for `user_id`;
    /// `None` when it does not open (another server secret, another user, a
    /// damaged record).
    pub fn open(state: &TotpState, server: &ServerSecret, user_id: &str) -> Option<Self> {
        let plain = server.open(SEAL_PURPOSE, user_id.as_bytes(), &state.secret)?;
        Some(TotpSecret(plain))
    }
}

/// The purpose label of sealed TOTP secrets under the server secret.
const SEAL_PURPOSE: &str = "totp-secret";

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: the SHA-1 seed.
    const RFC_SECRET: &[u8] = b"12345678901234567890";
    /// RFC 6238 Appendix B, SHA-1 rows: time and 8-digit code.
    const RFC_VECTORS: [(i64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn rfc6238_vectors_with_eight_digits() {
        let totp = Totp::issuer("RFC").digits(8);
        for (time, code) in RFC_VECTORS {
            assert_eq!(
                totp.code_at(RFC_SECRET, time)
                    .as_deref()
                    .map(String::as_str),
                Some(code)
            );
            assert_eq!(
                totp.check(RFC_SECRET, code, time),
                Some(time.unsigned_abs() / 30),
                "{time}"
            );
        }
    }

    #[test]
    fn rfc6238_vectors_truncated_to_six_digits() {
        let totp = Totp::issuer("RFC");
        for (time, code) in RFC_VECTORS {
            // 6 digits are the last 6 of the 8 (both are the value mod 10^n).
            let six = &code[2..];
            assert_eq!(
                totp.code_at(RFC_SECRET, time)
                    .as_deref()
                    .map(String::as_str),
                Some(six)
            );
            assert_eq!(
                totp.check(RFC_SECRET, six, time),
                Some(time.unsigned_abs() / 30),
                "{time}"
            );
            assert_eq!(
                totp.check(RFC_SECRET, code, time),
                None,
                "8 digits for a 6-digit config"
            );
        }
    }

    #[test]
    fn one_step_of_skew_is_accepted_two_are_not() {
        let totp = Totp::issuer("RFC");
        let now = 1_234_567_890;
        let step = now / 30;
        for offset in [-1i64, 0, 1] {
            let code = totp.code_at(RFC_SECRET, now + offset * 30).unwrap();
            assert_eq!(
                totp.check(RFC_SECRET, &code, now),
                Some((step + offset).unsigned_abs())
            );
        }
        for offset in [-2i64, 2] {
            let code = totp.code_at(RFC_SECRET, now + offset * 30).unwrap();
            assert_eq!(totp.check(RFC_SECRET, &code, now), None, "offset {offset}");
        }
    }

    #[tokio::test]
    async fn verify_once_refuses_a_replay() {
        // The memory store expires marks by the real clock, so use it here.
        let store = crate::store::MemoryStore::new();
        let totp = Totp::issuer("RFC");
        let now = crate::time::now();
        let code = totp.code_at(RFC_SECRET, now).unwrap();
        let later = totp.code_at(RFC_SECRET, now + 60).unwrap();

        assert!(
            !totp
                .verify_once(&store, "alice", RFC_SECRET, &later, now)
                .await
                .unwrap()
        );
        assert!(
            totp.verify_once(&store, "alice", RFC_SECRET, &code, now)
                .await
                .unwrap()
        );
        assert!(
            !totp
                .verify_once(&store, "alice", RFC_SECRET, &code, now)
                .await
                .unwrap()
        );
        // One step on, the code is still inside the skew window: still used.
        assert!(
            !totp
                .verify_once(&store, "alice", RFC_SECRET, &code, now + 30)
                .await
                .unwrap()
        );
        // Single use is per user.
        assert!(
            totp.verify_once(&store, "bob", RFC_SECRET, &code, now)
                .await
                .unwrap()
        );
        // A wrong code did not use up its step: the later code still works in its time.
        assert!(
            totp.verify_once(&store, "alice", RFC_SECRET, &later, now + 60)
                .await
                .unwrap()
        );
    }

    #[test]
    fn malformed_codes_are_refused_without_panicking() {
        let totp = Totp::issuer("RFC");
        let now = 59;
        let good = totp.code_at(RFC_SECRET, now).unwrap();
        assert!(totp.check(RFC_SECRET, &good, now).is_some());
        for bad in [
            "",
            "12345",
            "1234567",
            "28708a",
            " 287082",
            "287082 ",
            "+87082",
            "-87082",
            "２８７０８２",
            "٢٨٧٠٨٢",
            "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}",
        ] {
            assert_eq!(totp.check(RFC_SECRET, bad, now), None, "{bad:?}");
        }
        assert_eq!(
            totp.check(RFC_SECRET, &good, -1),
            None,
            "time before the epoch"
        );
        assert_eq!(
            totp.check(b"short", &good, now),
            None,
            "secret under 128 bits"
        );
    }

    #[test]
    fn out_of_range_settings_refuse_instead_of_panicking() {
        let secret = Totp::generate_secret().unwrap();
        for totp in [
            Totp::issuer("RFC").digits(5),
            Totp::issuer("RFC").digits(10),
            Totp::issuer("RFC").step_secs(0),
        ] {
            assert!(matches!(
                totp.enrollment(&secret, "alice"),
                Err(MfaError::Setup(_))
            ));
            assert_eq!(totp.code_at(RFC_SECRET, 59), None);
            assert_eq!(totp.check(RFC_SECRET, "287082", 59), None);
        }
    }

    #[test]
    fn labels_are_checked_and_percent_encoded() {
        let secret = TotpSecret::from_bytes(RFC_SECRET.to_vec());
        let totp = Totp::issuer("Acme & Co");
        let uri = totp
            .enrollment(&secret, "bob smith@example.com")
            .map(|e| e.otpauth_uri);
        assert_eq!(
            uri.as_deref().map(String::as_str).ok(),
            Some(
                "otpauth://totp/Acme%20%26%20Co:bob%20smith%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20%26%20Co&algorithm=SHA1&digits=6&period=30"
            )
        );
        assert!(matches!(
            totp.enrollment(&secret, "a:b"),
            Err(MfaError::Setup(_))
        ));
        assert!(matches!(
            totp.enrollment(&secret, ""),
            Err(MfaError::Setup(_))
        ));
        assert!(matches!(
            Totp::issuer("A:B").enrollment(&secret, "bob"),
            Err(MfaError::Setup(_))
        ));
    }

    #[test]
    fn secrets_are_random_and_round_trip_through_base32() {
        let (a, b) = (
            Totp::generate_secret().unwrap(),
            Totp::generate_secret().unwrap(),
        );
        assert_eq!(a.as_bytes().len(), 20);
        assert_ne!(a, b);
        let text = a.to_base32();
        assert_eq!(text.len(), 32);
        assert!(!text.contains('='));
        assert_eq!(TotpSecret::from_base32(&text), Some(a.clone()));
        assert_eq!(
            TotpSecret::from_base32(&text.to_ascii_lowercase()),
            Some(a.clone())
        );
        assert_eq!(TotpSecret::from_base32("not base32!"), None);
        assert_eq!(format!("{a:?}"), "TotpSecret(..)");
        let server = ServerSecret::generate().unwrap();
        let state = a.seal(&server, "u1", false).unwrap();
        assert!(!state.confirmed);
        assert!(
            !state.secret.windows(20).any(|w| w == a.as_bytes()),
            "the stored record must not hold the secret in the clear"
        );
        assert_eq!(TotpSecret::open(&state, &server, "u1"), Some(a.clone()));
        assert_eq!(TotpSecret::open(&state, &server, "u2"), None);
        assert_eq!(
            TotpSecret::open(&state, &ServerSecret::generate().unwrap(), "u1"),
            None
        );
    }
}
