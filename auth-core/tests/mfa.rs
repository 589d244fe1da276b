//! Second factors through the public API: TOTP (RFC 6238 vectors, enrolment
//! URI and QR code, single use), recovery codes, one-time codes.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use auth_core::mfa::{self, DeliveryError, MfaError};
use auth_core::mfa::{
    Channel, CodeSender, OneTimeCode, OneTimeCodes, RecoveryCodes, Totp, TotpSecret,
};
use auth_core::store::{MemoryStore, NewUser, User, UserStore};

const RFC_SECRET: &[u8] = b"12345678901234567890";

/// The memory store expires entries by the real clock, so the tests that use
/// it run at the real time.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

fn user(id: &str) -> User {
    User {
        id: id.to_owned(),
        username: id.to_owned(),
        password_hash: None,
        roles: Vec::new(),
        totp: None,
        recovery_codes: Vec::new(),
        created_at: 0,
    }
}

#[test]
fn rfc6238_appendix_b_sha1_vectors() {
    let rows: [(i64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];
    let eight = Totp::issuer("RFC").digits(8);
    let six = Totp::issuer("RFC");
    for (time, code) in rows {
        let step = (time / 30) as u64;
        assert_eq!(eight.check(RFC_SECRET, code, time), Some(step), "{time}");
        assert_eq!(
            six.check(RFC_SECRET, &code[2..], time),
            Some(step),
            "{time}"
        );
        assert_eq!(six.code_at(RFC_SECRET, time).unwrap().as_str(), &code[2..]);
        // Two steps off is outside the ±1 window.
        assert_eq!(six.check(RFC_SECRET, &code[2..], time + 60), None, "{time}");
        assert_eq!(six.check(RFC_SECRET, &code[2..], time - 60), None, "{time}");
    }
}

#[test]
fn enrollment_uri_parses_back_with_totp_rs() {
    let secret = Totp::generate_secret().unwrap();
    let enrollment = Totp::issuer("Example Corp")
        .enrollment(&secret, "alice@example.com")
        .unwrap();

    assert!(
        enrollment
            .otpauth_uri
            .starts_with("otpauth://totp/Example%20Corp:alice%40example.com?secret="),
        "{}",
        enrollment.otpauth_uri.as_str()
    );
    assert!(
        enrollment
            .otpauth_uri
            .ends_with("&issuer=Example%20Corp&algorithm=SHA1&digits=6&period=30")
    );

    let parsed = totp_rs::Totp::from_url(enrollment.otpauth_uri.as_str()).unwrap();
    assert_eq!(parsed.secret().as_bytes(), secret.as_bytes());
    assert_eq!(parsed.issuer(), Some("Example Corp"));
    assert_eq!(parsed.account_name(), "alice@example.com");
    assert_eq!(parsed.algorithm(), totp_rs::Algorithm::SHA1);
    assert_eq!(parsed.digits(), 6);
    assert_eq!(parsed.step(), 30);

    // What an app that scanned the URI shows is accepted.
    let time = 1_700_000_000;
    let shown = parsed.generate(time).to_string();
    assert!(
        Totp::issuer("Example Corp")
            .check(secret.as_bytes(), &shown, time as i64)
            .is_some()
    );

    assert_eq!(
        enrollment.secret_base32.as_str(),
        secret.to_base32().as_str()
    );
    assert_eq!(
        TotpSecret::from_base32(&enrollment.secret_base32),
        Some(secret)
    );
}

#[test]
fn enrollment_qr_code_is_a_standalone_svg() {
    let secret = Totp::generate_secret().unwrap();
    let enrollment = Totp::issuer("Example")
        .enrollment(&secret, "alice")
        .unwrap();
    let svg = enrollment.qr_svg.as_str();
    assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
    assert!(svg.contains(r#"xmlns="http://www.w3.org/2000/svg""#));
    assert!(svg.contains("<rect"));
    assert!(svg.contains(r##"<path fill="#000" d="M"##));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(!format!("{enrollment:?}").contains(enrollment.secret_base32.as_str()));
}

#[tokio::test]
async fn a_totp_code_is_accepted_once() {
    let store = MemoryStore::new();
    let totp = Totp::issuer("Example");
    let secret = Totp::generate_secret().unwrap();
    let now = now();
    let code = totp.code_at(secret.as_bytes(), now).unwrap();

    assert!(
        totp.verify_once(&store, "u1", secret.as_bytes(), &code, now)
            .await
            .unwrap()
    );
    assert!(
        !totp
            .verify_once(&store, "u1", secret.as_bytes(), &code, now)
            .await
            .unwrap()
    );
    assert!(
        !totp
            .verify_once(&store, "u1", secret.as_bytes(), "12345", now)
            .await
            .unwrap()
    );
    assert!(
        !totp
            .verify_once(&store, "u1", secret.as_bytes(), "abcdef", now)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn recovery_codes_work_once_however_typed() {
    let store = MemoryStore::new();
    let alice = store
        .create_user(NewUser {
            username: "alice".to_owned(),
            password_hash: None,
            roles: Vec::new(),
        })
        .await
        .unwrap();

    let (shown, hashes) = RecoveryCodes::generate().unwrap();
    assert_eq!(shown.len(), 10);
    let mut unique = shown.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10);
    for code in &shown {
        let (left, right) = code.split_once('-').unwrap();
        assert_eq!((left.len(), right.len()), (5, 5), "{code}");
        assert!(
            code.chars()
                .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_lowercase()),
            "{code}"
        );
        assert!(!code.contains(['i', 'l', 'o', 'u']), "{code}");
    }
    store.set_recovery_codes(&alice.id, hashes).await.unwrap();

    let typed = shown[3].to_uppercase().replace('-', " ");
    let hash = RecoveryCodes::hash(&typed).unwrap();
    assert!(store.consume_recovery_code(&alice.id, &hash).await.unwrap());
    assert!(!store.consume_recovery_code(&alice.id, &hash).await.unwrap());
    let other = RecoveryCodes::hash(&shown[4]).unwrap();
    assert!(
        store
            .consume_recovery_code(&alice.id, &other)
            .await
            .unwrap()
    );

    assert_eq!(RecoveryCodes::hash("not a code"), None);
    assert_eq!(RecoveryCodes::hash(""), None);
}

/// Keeps what it was asked to send, as a mail provider's outbox would.
#[derive(Default)]
struct Outbox(Mutex<Vec<(String, Channel, String)>>);

impl Outbox {
    fn last_code(&self) -> Option<String> {
        let sent = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        sent.last().map(|(_, _, code)| code.clone())
    }
}

#[async_trait]
impl CodeSender for Outbox {
    async fn send(
        &self,
        user: &User,
        channel: Channel,
        code: &OneTimeCode,
    ) -> Result<(), DeliveryError> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push((
            user.id.clone(),
            channel,
            code.expose_secret().to_owned(),
        ));
        Ok(())
    }
}

struct BrokenSender;

#[async_trait]
impl CodeSender for BrokenSender {
    async fn send(&self, _: &User, _: Channel, _: &OneTimeCode) -> Result<(), DeliveryError> {
        Err("provider down".into())
    }
}

#[tokio::test]
async fn a_one_time_code_is_accepted_once() {
    let store = MemoryStore::new();
    let outbox = Outbox::default();
    let codes = OneTimeCodes::new();
    let now = now();

    let expires_at = codes
        .issue(&store, &outbox, &user("u1"), Channel::Email, now)
        .await
        .unwrap();
    assert_eq!(expires_at, now + 300);
    let code = outbox.last_code().unwrap();
    assert_eq!(code.len(), 6);
    assert_eq!(
        outbox
            .0
            .lock()
            .unwrap()
            .last()
            .map(|(id, ch, _)| (id.clone(), *ch)),
        Some(("u1".to_owned(), Channel::Email))
    );

    assert!(
        !codes.verify(&store, "u2", &code, now).await.unwrap(),
        "another user's code"
    );
    assert!(codes.verify(&store, "u1", &code, now + 10).await.unwrap());
    assert!(
        !codes.verify(&store, "u1", &code, now + 11).await.unwrap(),
        "replay"
    );
}

#[tokio::test]
async fn an_expired_one_time_code_is_refused() {
    let store = MemoryStore::new();
    let outbox = Outbox::default();
    let codes = OneTimeCodes::new().valid_for(Duration::from_secs(120));
    let now = now();

    codes
        .issue(&store, &outbox, &user("u1"), Channel::Sms, now)
        .await
        .unwrap();
    assert!(
        !codes
            .verify(&store, "u1", &outbox.last_code().unwrap(), now + 120)
            .await
            .unwrap()
    );

    codes
        .issue(&store, &outbox, &user("u1"), Channel::Sms, now)
        .await
        .unwrap();
    assert!(
        codes
            .verify(&store, "u1", &outbox.last_code().unwrap(), now + 119)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn only_the_latest_one_time_code_counts() {
    let store = MemoryStore::new();
    let outbox = Outbox::default();
    let codes = OneTimeCodes::new();
    let now = now();

    codes
        .issue(&store, &outbox, &user("u1"), Channel::Email, now)
        .await
        .unwrap();
    let first = outbox.last_code().unwrap();
    codes
        .issue(&store, &outbox, &user("u1"), Channel::Email, now)
        .await
        .unwrap();
    let second = outbox.last_code().unwrap();
    if first != second {
        assert!(!codes.verify(&store, "u1", &first, now).await.unwrap());
    }
    assert!(codes.verify(&store, "u1", &second, now).await.unwrap());
}

#[tokio::test]
async fn one_time_code_guessing_is_throttled() {
    let store = MemoryStore::new();
    let outbox = Outbox::default();
    let codes = OneTimeCodes::new().max_attempts(3);
    let now = now();

    codes
        .issue(&store, &outbox, &user("u1"), Channel::Email, now)
        .await
        .unwrap();
    let code = outbox.last_code().unwrap();
    let wrong = if code == "000000" { "000001" } else { "000000" };

    // A wrong guess leaves the right code usable, and success resets the count.
    for _ in 0..2 {
        assert!(!codes.verify(&store, "u1", wrong, now).await.unwrap());
    }
    assert!(codes.verify(&store, "u1", &code, now).await.unwrap());

    codes
        .issue(&store, &outbox, &user("u1"), Channel::Email, now)
        .await
        .unwrap();
    let code = outbox.last_code().unwrap();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for malformed in ["", "12345", "1234567", "12a456", "١٢٣٤٥٦"] {
        assert!(
            !codes.verify(&store, "u1", malformed, now).await.unwrap(),
            "{malformed:?}"
        );
    }
    assert!(!codes.verify(&store, "u1", wrong, now).await.unwrap());
    assert!(
        !codes.verify(&store, "u1", &code, now).await.unwrap(),
        "locked after 3 failures"
    );
    // The window is as long as a code's validity: once it is over, a new code works.
    codes
        .issue(&store, &outbox, &user("u1"), Channel::Email, now + 300)
        .await
        .unwrap();
    assert!(
        codes
            .verify(&store, "u1", &outbox.last_code().unwrap(), now + 300)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_failed_delivery_is_reported_without_the_code() {
    let store = MemoryStore::new();
    let err = OneTimeCodes::new()
        .issue(&store, &BrokenSender, &user("u1"), Channel::Sms, now())
        .await
        .unwrap_err();
    assert!(matches!(err, MfaError::Delivery(_)));
    assert_eq!(err.to_string(), "the one-time code could not be sent");
    assert_eq!(
        std::error::Error::source(&err).map(ToString::to_string),
        Some("provider down".to_owned()),
        "the sender's own error is kept as the source"
    );
}

#[tokio::test]
async fn senders_can_be_trait_objects() {
    let store = MemoryStore::new();
    let sender: Box<dyn CodeSender> = Box::new(mfa::DevLogSender);
    let expires_at = OneTimeCodes::new()
        .issue(&store, sender.as_ref(), &user("u1"), Channel::Email, now())
        .await
        .unwrap();
    assert!(expires_at > now());
}
