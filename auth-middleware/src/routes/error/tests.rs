//! The flows' one mapping to HTTP.

use super::*;
use auth_core::password::{PasswordError, PasswordProblem};
use auth_core::store::StoreError;
use http::header::{RETRY_AFTER, WWW_AUTHENTICATE};

fn answer(error: impl Into<ApiError>) -> (u16, String, Option<String>, Option<String>) {
    let response = error.into().realm("demo").to_response();
    let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &http::HeaderValue| v.to_str().unwrap().to_owned())
    };
    (
        response.status().as_u16(),
        body["error"].as_str().unwrap().to_owned(),
        header(WWW_AUTHENTICATE),
        header(RETRY_AFTER),
    )
}

#[test]
fn the_contract_table() {
    let challenge = Some(r#"Bearer realm="demo""#.to_owned());
    let cases = [
        (
            FlowError::InvalidCredentials,
            401,
            "invalid_credentials",
            challenge.clone(),
            None,
        ),
        (
            FlowError::TooManyAttempts { retry_after: 42 },
            429,
            "too_many_attempts",
            None,
            Some("42"),
        ),
        (
            FlowError::TooManyAttempts { retry_after: 0 },
            429,
            "too_many_attempts",
            None,
            Some("1"),
        ),
        (
            FlowError::InvalidCode,
            401,
            "invalid_code",
            challenge.clone(),
            None,
        ),
        (
            FlowError::InvalidGrant,
            401,
            "invalid_grant",
            challenge.clone(),
            None,
        ),
        (
            FlowError::WeakPassword(PasswordProblem::SameAsUsername),
            422,
            "weak_password",
            None,
            None,
        ),
        (
            FlowError::from(PasswordError::TooLong { max: 128 }),
            422,
            "weak_password",
            None,
            None,
        ),
        (
            FlowError::InvalidUsername,
            422,
            "invalid_username",
            None,
            None,
        ),
        (FlowError::UsernameTaken, 409, "username_taken", None, None),
        (
            FlowError::TooManyApiKeys { max: 100 },
            409,
            "too_many_api_keys",
            None,
            None,
        ),
        (
            FlowError::MfaAlreadyEnrolled,
            409,
            "mfa_already_enrolled",
            None,
            None,
        ),
        (FlowError::NotFound, 404, "not_found", None, None),
        (
            FlowError::InvalidPasskey,
            422,
            "invalid_passkey",
            None,
            None,
        ),
        (
            FlowError::PasskeyRefused,
            401,
            "invalid_credentials",
            challenge.clone(),
            None,
        ),
        (
            FlowError::from(StoreError::PasskeyTaken),
            422,
            "invalid_passkey",
            None,
            None,
        ),
        (
            FlowError::TooManyPasskeys { max: 20 },
            409,
            "too_many_passkeys",
            None,
            None,
        ),
        (FlowError::PasskeysDisabled, 404, "not_found", None, None),
        (FlowError::PasskeyCeremony, 500, "server_error", None, None),
        (
            FlowError::from(StoreError::Unavailable("connection refused".into())),
            503,
            "temporarily_unavailable",
            None,
            Some("1"),
        ),
        (
            FlowError::Overloaded,
            503,
            "temporarily_unavailable",
            None,
            Some("1"),
        ),
        (
            FlowError::from(PasswordError::Pool("the pool is gone")),
            500,
            "server_error",
            None,
            None,
        ),
    ];
    for (error, status, code, www, retry) in cases {
        let what = error.to_string();
        assert_eq!(
            answer(error),
            (
                status,
                code.to_owned(),
                www.clone(),
                retry.map(str::to_owned)
            ),
            "{what}"
        );
    }
}

#[test]
fn flow_errors_are_classified_once() {
    let kind = |error: FlowError| ApiErrorKind::from(&error);
    assert_eq!(
        kind(FlowError::from(PasswordError::TooShort { min: 8 })),
        ApiErrorKind::WeakPassword(PasswordProblem::TooShort { min: 8 })
    );
    assert_eq!(
        kind(FlowError::TooManyAttempts { retry_after: 0 }),
        ApiErrorKind::TooManyAttempts { retry_after: 1 },
        "Retry-After is never 0"
    );
    assert_eq!(
        kind(FlowError::from(StoreError::Unavailable("down".into()))),
        ApiErrorKind::Unavailable
    );
    assert_eq!(
        kind(FlowError::from(StoreError::NotFound)),
        ApiErrorKind::NotFound
    );
    assert_eq!(
        kind(FlowError::from(PasswordError::MalformedHash)),
        ApiErrorKind::Internal
    );
}

#[test]
fn the_cause_is_kept_for_the_log_and_never_sent() {
    let error = ApiError::from(FlowError::from(StoreError::Unavailable(
        "redis://secret@host".into(),
    )));
    let source = std::error::Error::source(&error).map(ToString::to_string);
    assert_eq!(source.as_deref(), Some("the store failed"));
    let response = error.to_response();
    let body = std::str::from_utf8(response.body()).unwrap();
    assert!(!body.contains("redis"), "{body}");
}

#[test]
fn no_flow_error_names_a_code_in_the_challenge_and_every_401_has_one() {
    let kinds = [
        ApiErrorKind::InvalidCredentials,
        ApiErrorKind::TooManyAttempts { retry_after: 3 },
        ApiErrorKind::InvalidCode,
        ApiErrorKind::InvalidConfirmationCode,
        ApiErrorKind::InvalidGrant,
        ApiErrorKind::WeakPassword(PasswordProblem::SameAsUsername),
        ApiErrorKind::InvalidUsername,
        ApiErrorKind::UsernameTaken,
        ApiErrorKind::TooManyApiKeys,
        ApiErrorKind::MfaAlreadyEnrolled,
        ApiErrorKind::NotFound,
        ApiErrorKind::Unavailable,
        ApiErrorKind::Internal,
        ApiErrorKind::MalformedBody,
        ApiErrorKind::UnprocessableBody,
        ApiErrorKind::NotAnObject,
        ApiErrorKind::PayloadTooLarge,
        ApiErrorKind::UnsupportedMediaType,
        ApiErrorKind::CrossOrigin,
        ApiErrorKind::ExternalLogin,
        ApiErrorKind::ProviderDenied("access_denied"),
        ApiErrorKind::AccountConflict,
        ApiErrorKind::InvalidPasskey,
        ApiErrorKind::TooManyPasskeys,
        ApiErrorKind::MalformedCredential,
        ApiErrorKind::PasskeyRefused,
    ];
    for kind in kinds {
        let what = kind.to_string();
        let (status, _, challenge, _) = answer(kind);
        assert_eq!(challenge.is_some(), status == 401, "{what}");
        if let Some(challenge) = challenge {
            assert_eq!(challenge, r#"Bearer realm="demo""#, "{what}");
        }
    }
}

#[test]
fn a_refusal_is_rendered_as_the_layer_renders_it() {
    let refusal = AuthError::StaleAuthentication { max_age: 300 };
    let ours = ApiError::from(refusal.clone()).realm("demo").to_response();
    let layer = Rejection::new(refusal, "demo").default_response();
    assert_eq!(ours.status(), layer.status());
    assert_eq!(ours.headers(), layer.headers());
    assert_eq!(ours.body(), layer.body());
}

#[test]
fn the_confirmation_code_is_the_route_s_422() {
    let response = ApiError::new(ApiErrorKind::InvalidConfirmationCode).to_response();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.headers().get(WWW_AUTHENTICATE).is_none());
}

#[cfg(feature = "oidc")]
#[test]
fn external_login_errors() {
    use auth_core::external::ExternalError;
    let cases = [
        (ExternalError::Refused("nonce"), 400, "invalid_request"),
        (
            ExternalError::ProviderDenied("access_denied"),
            400,
            "access_denied",
        ),
        (ExternalError::AccountConflict, 409, "account_conflict"),
        (
            ExternalError::Unavailable {
                what: "the token endpoint".into(),
                source: None,
            },
            503,
            "temporarily_unavailable",
        ),
        (
            ExternalError::Flow(FlowError::UsernameTaken),
            409,
            "username_taken",
        ),
    ];
    for (error, status, code) in cases {
        let what = error.to_string();
        let (got_status, got_code, _, _) = answer(error);
        assert_eq!((got_status, got_code.as_str()), (status, code), "{what}");
    }
}
