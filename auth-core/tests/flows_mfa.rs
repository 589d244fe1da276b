//! The second factor through the flows' public API: TOTP enrolment and
//! confirmation, the `mfa_token` step with TOTP and recovery codes (each
//! accepted once), token confusion, throttling and hostile input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::time::Duration;

use auth_core::flow::{FlowConfig, LoginOutcome};
use auth_core::mfa::TotpSecret;
use auth_core::store::{MemoryStore, UserStore};
use auth_core::{Authenticator, FlowError, PasswordPolicy, TokenRejection, Totp};
use common::{
    PASSWORD, authenticator, code_at, enrolled_user, keys, login, login_mfa, time_with_step_margin,
    wrong_code,
};

fn assert_invalid_code<T: std::fmt::Debug>(result: Result<T, FlowError>, what: &str) {
    assert!(
        matches!(result, Err(FlowError::InvalidCode)),
        "{what}: {result:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn enrolment_gives_secret_uri_and_qr_code() {
    let (auth, store) = authenticator(FlowConfig::default()).await;
    let user = auth.register("ada", PASSWORD, None).await.unwrap();
    let enrollment = auth.enroll_totp(&user.id).await.unwrap();

    let secret = TotpSecret::from_base32(&enrollment.secret_base32).unwrap();
    assert_eq!(secret.as_bytes().len(), 20, "160 bits for SHA-1");
    let uri = enrollment.otpauth_uri.as_str();
    // The issuer label is the host of `iss` (the Key Uri Format reserves ':').
    assert!(uri.starts_with("otpauth://totp/id.example:ada?"), "{uri}");
    assert!(uri.contains(&format!("secret={}", enrollment.secret_base32.as_str())));
    assert!(uri.contains("&issuer=id.example&"), "{uri}");
    assert!(
        uri.contains("algorithm=SHA1") && uri.contains("digits=6") && uri.contains("period=30")
    );
    assert!(enrollment.qr_svg.starts_with("<svg"));
    assert!(!format!("{enrollment:?}").contains(enrollment.secret_base32.as_str()));

    // Stored, but not in force until confirmed: login still gives tokens.
    let stored = store
        .user_by_id(&user.id)
        .await
        .unwrap()
        .unwrap()
        .totp
        .unwrap();
    assert!(!stored.confirmed);
    assert!(
        !stored
            .secret
            .windows(secret.as_bytes().len())
            .any(|w| w == secret.as_bytes()),
        "the store must hold the secret sealed, never in the clear"
    );
    assert_eq!(
        TotpSecret::open(&stored, &common::server_secret(), &user.id).as_ref(),
        Some(&secret),
        "the sealed secret opens with the server secret, for this user"
    );
    login(&auth, "ada").await;

    // An unknown user cannot enrol.
    let result = auth.enroll_totp("no-such-user").await;
    assert!(matches!(result, Err(FlowError::NotFound)), "{result:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn confirmation_needs_a_right_code_and_gives_ten_recovery_codes() {
    let (auth, store) = authenticator(FlowConfig::default()).await;
    let user = auth.register("ada", PASSWORD, None).await.unwrap();
    // Nothing to confirm before enrolment.
    assert_invalid_code(
        auth.confirm_totp(&user.id, "123456", None).await,
        "not enrolled",
    );

    let enrollment = auth.enroll_totp(&user.id).await.unwrap();
    let secret = TotpSecret::from_base32(&enrollment.secret_base32).unwrap();
    let time = time_with_step_margin(5).await;
    for wrong in [
        wrong_code(secret.as_bytes(), time),
        String::new(),
        "12345".into(),
        "abcdef".into(),
    ] {
        assert_invalid_code(auth.confirm_totp(&user.id, &wrong, None).await, &wrong);
    }
    assert!(
        !store
            .user_by_id(&user.id)
            .await
            .unwrap()
            .unwrap()
            .totp
            .unwrap()
            .confirmed
    );

    let codes = auth
        .confirm_totp(&user.id, &code_at(secret.as_bytes(), time), None)
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10);

    let stored = store.user_by_id(&user.id).await.unwrap().unwrap();
    assert!(stored.totp.unwrap().confirmed);
    assert_eq!(
        stored.recovery_codes.len(),
        10,
        "only their hashes are kept"
    );
    // From now on the password alone is not enough.
    let challenge = login_mfa(&auth, "ada").await;
    assert_eq!(challenge.expires_in, 300);
    assert!(!format!("{challenge:?}").contains(&challenge.mfa_token));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_totp_code_completes_the_login_once() {
    let (auth, _store) = authenticator(FlowConfig::default()).await;
    let ada = enrolled_user(&auth, "ada").await;
    let code = code_at(&ada.secret, ada.time);

    let challenge = login_mfa(&auth, "ada").await;
    let tokens = auth
        .verify_mfa(&challenge.mfa_token, &code, None)
        .await
        .unwrap();
    let claims = auth.verifier().verify(&tokens.access.access_token).unwrap();
    assert_eq!(claims.sub, ada.user.id);
    assert_eq!(claims.amr, ["pwd", "otp", "mfa"]);
    assert!(claims.is_mfa());
    assert_eq!(claims.sid.as_deref(), Some(tokens.access.sid.as_str()));
    assert!(common::is_refresh_token(tokens.refresh.expose()));
    // The session remembers the second factor across a refresh.
    let refreshed = auth.refresh(tokens.refresh.expose(), None).await.unwrap();
    let claims = auth
        .verifier()
        .verify(&refreshed.access.access_token)
        .unwrap();
    assert_eq!(claims.amr, ["pwd", "otp", "mfa"]);

    // Replay: the same code with a new login is refused...
    let challenge = login_mfa(&auth, "ada").await;
    assert_invalid_code(
        auth.verify_mfa(&challenge.mfa_token, &code, None).await,
        "replayed code",
    );
    // ...and that failure did not use up the new mfa_token: the next step's code works.
    let next_code = code_at(&ada.secret, ada.time + 30);
    auth.verify_mfa(&challenge.mfa_token, &next_code, None)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_mfa_token_works_once() {
    let (auth, _store) = authenticator(FlowConfig::default()).await;
    let ada = enrolled_user(&auth, "ada").await;
    let challenge = login_mfa(&auth, "ada").await;
    auth.verify_mfa(&challenge.mfa_token, &code_at(&ada.secret, ada.time), None)
        .await
        .unwrap();
    // A second use fails even with another valid, unused code.
    let other_code = code_at(&ada.secret, ada.time + 30);
    assert_invalid_code(
        auth.verify_mfa(&challenge.mfa_token, &other_code, None)
            .await,
        "used mfa_token",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recovery_code_works_once() {
    let (auth, store) = authenticator(FlowConfig::default()).await;
    let ada = enrolled_user(&auth, "ada").await;
    let recovery = &ada.recovery_codes[0];

    let challenge = login_mfa(&auth, "ada").await;
    let tokens = auth
        .verify_mfa(&challenge.mfa_token, recovery, None)
        .await
        .unwrap();
    let claims = auth.verifier().verify(&tokens.access.access_token).unwrap();
    assert_eq!(claims.amr, ["pwd", "otp", "mfa"]);
    assert_eq!(
        store
            .user_by_id(&ada.user.id)
            .await
            .unwrap()
            .unwrap()
            .recovery_codes
            .len(),
        9
    );

    let challenge = login_mfa(&auth, "ada").await;
    assert_invalid_code(
        auth.verify_mfa(&challenge.mfa_token, recovery, None).await,
        "used recovery code",
    );
    // Another code works, however it is typed.
    let typed = ada.recovery_codes[1].to_uppercase().replace('-', " ");
    auth.verify_mfa(&challenge.mfa_token, &typed, None)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn mfa_tokens_and_access_tokens_are_not_interchangeable() {
    let (auth, _store) = authenticator(FlowConfig::default().max_failures(100)).await;
    let ada = enrolled_user(&auth, "ada").await;
    let challenge = login_mfa(&auth, "ada").await;

    // An mfa_token is not an access token.
    assert_eq!(
        auth.verifier().verify(&challenge.mfa_token).unwrap_err(),
        TokenRejection::WrongType
    );

    // An access token (of a user without MFA, or of this one) is not an mfa_token.
    auth.register("grace", PASSWORD, None).await.unwrap();
    let grace = login(&auth, "grace").await;
    let code = code_at(&ada.secret, ada.time);
    assert_invalid_code(
        auth.verify_mfa(&grace.access.access_token, &code, None)
            .await,
        "access token",
    );
    let ada_tokens = auth
        .verify_mfa(&challenge.mfa_token, &code, None)
        .await
        .unwrap();
    let next_code = code_at(&ada.secret, ada.time + 30);
    assert_invalid_code(
        auth.verify_mfa(&ada_tokens.access.access_token, &next_code, None)
            .await,
        "ada's access token",
    );
    assert_invalid_code(
        auth.verify_mfa(ada_tokens.refresh.expose(), &next_code, None)
            .await,
        "refresh token",
    );

    // An mfa_token of another issuer's keys is refused too.
    let (stranger, _) = authenticator(FlowConfig::default()).await;
    let eve = enrolled_user(&stranger, "ada").await;
    let foreign = login_mfa(&stranger, "ada").await;
    assert_invalid_code(
        auth.verify_mfa(&foreign.mfa_token, &code_at(&eve.secret, eve.time), None)
            .await,
        "foreign mfa_token",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_mfa_token_is_refused() {
    // A zero lifetime: the token has expired by the time it is checked.
    let config = FlowConfig::default().mfa_token_ttl(Duration::ZERO);
    let (auth, _store) = authenticator(config).await;
    let ada = enrolled_user(&auth, "ada").await;
    let challenge = login_mfa(&auth, "ada").await;
    assert_eq!(challenge.expires_in, 0);
    assert_invalid_code(
        auth.verify_mfa(&challenge.mfa_token, &code_at(&ada.secret, ada.time), None)
            .await,
        "expired mfa_token",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_codes_throttle_the_account() {
    let (auth, _store) = authenticator(FlowConfig::default().max_failures(3)).await;
    let ada = enrolled_user(&auth, "ada").await;
    let wrong = wrong_code(&ada.secret, ada.time);

    let challenge = login_mfa(&auth, "ada").await;
    for (attempt, code) in [wrong.as_str(), "zzzzz-zzzzz", wrong.as_str()]
        .into_iter()
        .enumerate()
    {
        assert_invalid_code(
            auth.verify_mfa(&challenge.mfa_token, code, None).await,
            &format!("attempt {attempt}"),
        );
    }
    // Locked: the right code is refused, with this token and with a new one.
    let right = code_at(&ada.secret, ada.time);
    let result = auth.verify_mfa(&challenge.mfa_token, &right, None).await;
    assert!(
        matches!(result, Err(FlowError::TooManyAttempts { retry_after }) if retry_after > 0),
        "{result:?}"
    );
    let challenge = login_mfa(&auth, "ada").await;
    let result = auth
        .verify_mfa(&challenge.mfa_token, &ada.recovery_codes[0], None)
        .await;
    assert!(
        matches!(result, Err(FlowError::TooManyAttempts { .. })),
        "{result:?}"
    );

    // Another account is not affected.
    let grace = enrolled_user(&auth, "grace").await;
    let challenge = login_mfa(&auth, "grace").await;
    auth.verify_mfa(
        &challenge.mfa_token,
        &code_at(&grace.secret, grace.time),
        None,
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_codes_and_tokens_are_refused_without_panic() {
    let (auth, _store) = authenticator(FlowConfig::default().max_failures(1_000)).await;
    let ada = enrolled_user(&auth, "ada").await;
    let challenge = login_mfa(&auth, "ada").await;
    let huge = "9".repeat(100_000);
    let codes = [
        "",
        " ",
        "0",
        "12345",
        "1234567",
        "12345678",
        "-123456",
        "１２３４５６",
        "12345\u{0}",
        "abcde-fghju",
        "abcde-fghjk",
        "\u{202e}abcde-fghjk",
        "ǅǅǅǅǅ-ǅǅǅǅǅ",
        huge.as_str(),
    ];
    for code in codes {
        assert_invalid_code(
            auth.verify_mfa(&challenge.mfa_token, code, None).await,
            code,
        );
    }

    let valid = code_at(&ada.secret, ada.time);
    let mut tampered = challenge.mfa_token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let (header, rest) = challenge.mfa_token.split_once('.').unwrap();
    let tokens = [
        String::new(),
        ".".into(),
        "..".into(),
        "a.b.c".into(),
        "a.b.c.d.e".into(),
        "\u{0}".into(),
        "é.é.é".into(),
        "x".repeat(100_000),
        tampered,
        format!("{header}.{header}.{rest}"),
        format!("{}{}", challenge.mfa_token, challenge.mfa_token),
        format!("eyJhbGciOiJub25lIiwidHlwIjoibWZhK2p3dCJ9.{}", rest),
    ];
    for token in &tokens {
        assert_invalid_code(auth.verify_mfa(token, &valid, None).await, token);
    }
    // None of that used anything up: the challenge and the code still work.
    auth.verify_mfa(&challenge.mfa_token, &valid, None)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_without_confirmed_totp_gets_tokens_directly() {
    let (auth, _store) = authenticator(FlowConfig::default()).await;
    let user = auth.register("ada", PASSWORD, None).await.unwrap();
    auth.enroll_totp(&user.id).await.unwrap();
    let outcome = auth.login("ada", PASSWORD, None).await.unwrap();
    assert!(matches!(outcome, LoginOutcome::Tokens(_)), "{outcome:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn configured_totp_settings_are_honoured() {
    let totp = Totp::issuer("Example").digits(8);
    let auth = Authenticator::builder(common::issuer(&keys()), MemoryStore::new())
        .password_policy(PasswordPolicy::insecure_fast_for_tests())
        .totp(totp.clone())
        .build()
        .await
        .unwrap();
    let user = auth.register("ada", PASSWORD, None).await.unwrap();
    let enrollment = auth.enroll_totp(&user.id).await.unwrap();
    assert!(
        enrollment
            .otpauth_uri
            .starts_with("otpauth://totp/Example:ada?")
    );
    assert!(enrollment.otpauth_uri.contains("digits=8"));
    let secret = TotpSecret::from_base32(&enrollment.secret_base32).unwrap();
    let code = |time: i64| totp.code_at(secret.as_bytes(), time).unwrap().to_string();

    let time = time_with_step_margin(5).await;
    // A six-digit code is not an eight-digit code.
    let short = code(time - 30)[2..].to_owned();
    assert_invalid_code(
        auth.confirm_totp(&user.id, &short, None).await,
        "six digits",
    );
    auth.confirm_totp(&user.id, &code(time - 30), None)
        .await
        .unwrap();
    let challenge = login_mfa(&auth, "ada").await;
    let tokens = auth
        .verify_mfa(&challenge.mfa_token, &code(time), None)
        .await
        .unwrap();
    let claims = auth.verifier().verify(&tokens.access.access_token).unwrap();
    assert_eq!(claims.amr, ["pwd", "otp", "mfa"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_used_mfa_token_does_not_cost_a_recovery_code() {
    let (auth, _store) = authenticator(FlowConfig::default()).await;
    let ada = enrolled_user(&auth, "ada").await;
    let challenge = login_mfa(&auth, "ada").await;
    auth.verify_mfa(&challenge.mfa_token, &ada.recovery_codes[0], None)
        .await
        .unwrap();
    // The spent token with another, valid recovery code: refused...
    assert!(matches!(
        auth.verify_mfa(&challenge.mfa_token, &ada.recovery_codes[1], None)
            .await,
        Err(FlowError::InvalidCode)
    ));
    // ...and that code is still there for a fresh login.
    let fresh = login_mfa(&auth, "ada").await;
    auth.verify_mfa(&fresh.mfa_token, &ada.recovery_codes[1], None)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_confirmed_second_factor_cannot_be_replaced_by_enrolling_again() {
    let (auth, _store) = authenticator(FlowConfig::default()).await;
    let ada = enrolled_user(&auth, "ada").await;
    assert!(matches!(
        auth.enroll_totp(&ada.user.id).await,
        Err(FlowError::MfaAlreadyEnrolled)
    ));
    // Login still asks for the second factor.
    let _challenge = login_mfa(&auth, "ada").await;
}
