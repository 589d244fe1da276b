//! The mapping of every error to HTTP.

use super::*;

#[test]
fn statuses_follow_rfc_6750_and_the_contract() {
    let cases = [
        (AuthError::MissingToken, 401, None),
        (
            AuthError::InvalidRequest(InvalidRequest::DuplicateAuthorization),
            400,
            Some("invalid_request"),
        ),
        (
            AuthError::InvalidToken(TokenRejection::Expired),
            401,
            Some("invalid_token"),
        ),
        (
            AuthError::MissingRole("admin".into()),
            403,
            Some("insufficient_scope"),
        ),
        (
            AuthError::MissingScope("read".into()),
            403,
            Some("insufficient_scope"),
        ),
        (AuthError::Forbidden, 403, Some("insufficient_scope")),
        (
            AuthError::InsufficientUserAuthentication,
            401,
            Some("insufficient_user_authentication"),
        ),
        (
            AuthError::StaleAuthentication { max_age: 300 },
            401,
            Some("insufficient_user_authentication"),
        ),
        (AuthError::NotConfigured("no layer"), 500, None),
    ];
    for (error, status, challenge_code) in cases {
        assert_eq!(error.status().as_u16(), status, "{error}");
        assert_eq!(error.challenge_code(), challenge_code, "{error}");
    }
}

#[test]
fn only_bearer_errors_name_a_code_in_the_challenge_and_every_401_has_one() {
    let flow_errors = [
        AuthError::InvalidCredentials,
        AuthError::TooManyAttempts { retry_after: 3 },
        AuthError::InvalidCode,
        AuthError::InvalidConfirmationCode,
        AuthError::InvalidGrant,
        AuthError::WeakPassword(PasswordProblem::SameAsUsername),
        AuthError::InvalidUsername,
        AuthError::UsernameTaken,
        AuthError::MfaAlreadyEnrolled,
        AuthError::NotFound,
        AuthError::Unavailable,
        AuthError::Internal,
        AuthError::MalformedBody,
        AuthError::UnprocessableBody,
        AuthError::PayloadTooLarge,
        AuthError::UnsupportedMediaType,
        AuthError::CrossOrigin,
        AuthError::ExternalLogin,
        AuthError::ProviderDenied("access_denied"),
        AuthError::AccountConflict,
    ];
    for error in flow_errors {
        assert_eq!(error.challenge_code(), None, "{error}");
        assert_eq!(
            error.has_challenge(),
            error.status() == StatusCode::UNAUTHORIZED,
            "{error}"
        );
    }
    assert_eq!(
        AuthError::InvalidApiKey.challenge_code(),
        Some("invalid_token")
    );
    assert_eq!(
        AuthError::TooManyAttempts { retry_after: 3 }.retry_after(),
        Some(3)
    );
    assert_eq!(AuthError::Unavailable.retry_after(), Some(1));
    assert_eq!(AuthError::InvalidGrant.retry_after(), None);
}

#[test]
fn core_errors_are_classified_once() {
    use auth_core::Error as Core;
    assert_eq!(
        AuthError::from(Core::PasswordTooShort { min: 8 }),
        AuthError::WeakPassword(PasswordProblem::TooShort { min: 8 })
    );
    assert_eq!(
        AuthError::from(Core::TooManyAttempts { retry_after: 0 }),
        AuthError::TooManyAttempts { retry_after: 1 },
        "Retry-After is never 0"
    );
    assert_eq!(
        AuthError::from(Core::StoreUnavailable("down".into())),
        AuthError::Unavailable
    );
    assert_eq!(AuthError::from(Core::Signing), AuthError::Internal);
    assert_eq!(
        AuthError::from(Core::ExternalLogin("nonce")),
        AuthError::ExternalLogin
    );
    let denied = AuthError::from(Core::ProviderDenied("access_denied"));
    assert_eq!(
        (denied.status().as_u16(), denied.code()),
        (400, "access_denied")
    );
    assert_eq!(
        AuthError::from(Core::ProviderUnavailable("down".into())),
        AuthError::Unavailable
    );
    assert_eq!(
        AuthError::from(Core::InvalidToken(TokenRejection::Revoked)),
        AuthError::InvalidToken(TokenRejection::Revoked)
    );
}

#[test]
fn client_text_never_names_the_failed_check() {
    for reason in [
        TokenRejection::Expired,
        TokenRejection::BadSignature,
        TokenRejection::Revoked,
    ] {
        let error = AuthError::InvalidToken(reason);
        assert_eq!(error.description(), "the access token is invalid");
        assert!(!error.description().contains(reason.as_str()));
        assert!(
            error.to_string().contains(reason.as_str()),
            "logs do name it"
        );
    }
}
