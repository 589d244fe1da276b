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
        (AuthError::Unavailable, 503, None),
        (AuthError::NotConfigured("no layer"), 500, None),
    ];
    for (error, status, challenge_code) in cases {
        assert_eq!(error.status().as_u16(), status, "{error}");
        assert_eq!(error.challenge_code(), challenge_code, "{error}");
    }
}

#[test]
fn every_refusal_about_credentials_has_a_challenge() {
    assert_eq!(
        AuthError::InvalidApiKey.challenge_code(),
        Some("invalid_token")
    );
    assert!(AuthError::MissingToken.has_challenge());
    assert_eq!(AuthError::MissingToken.challenge_code(), None);
    assert!(!AuthError::NotConfigured("no layer").has_challenge());
    assert!(!AuthError::Unavailable.has_challenge());
    assert_eq!(AuthError::Unavailable.retry_after(), Some(1));
    assert_eq!(AuthError::MissingToken.retry_after(), None);
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
