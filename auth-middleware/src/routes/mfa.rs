//! `POST /mfa/verify`, `POST /mfa/totp/enroll`, `POST /mfa/totp/confirm`.

use axum::extract::State;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::Routes;
use super::reply::{Reply, json, tokens};
use crate::extract::client::Client;
use crate::extract::user::AuthUser;
use crate::routes::error::ApiError;
use crate::routes::error::ApiErrorKind;
use crate::routes::json::JsonBody;

/// The second step: a code, or (feature `passkeys`) a passkey assertion.
/// No `Debug`: the token and the code are secrets.
#[derive(Deserialize)]
pub(super) struct Verification {
    mfa_token: String,
    code: Option<String>,
    #[cfg(feature = "passkeys")]
    credential: Option<serde_json::Value>,
}

/// 200 with tokens (`amr` with `mfa`) and the refresh cookie; a body with
/// neither a code nor a credential, or both, is 422.
pub(super) async fn verify(
    State(routes): State<Routes>,
    Client(client): Client,
    JsonBody(body): JsonBody<Verification>,
) -> Reply {
    #[cfg(feature = "passkeys")]
    let credential = body.credential;
    #[cfg(not(feature = "passkeys"))]
    let credential: Option<std::convert::Infallible> = None;
    let authenticator = &routes.authenticator;
    let pair = match (body.code, credential) {
        (Some(code), None) => {
            authenticator
                .verify_mfa(&body.mfa_token, &code, client)
                .await
        }
        #[cfg(feature = "passkeys")]
        (None, Some(credential)) => {
            let response: auth_core::passkey::AuthenticationResponse =
                super::passkeys::credential(&routes, credential)?;
            authenticator
                .verify_mfa_passkey(&body.mfa_token, &response, client)
                .await
        }
        _ => return Err(routes.error(ApiErrorKind::UnprocessableBody)),
    }
    .map_err(|error| routes.error(error))?;
    Ok(tokens(&routes, &pair))
}

#[derive(Serialize)]
struct Enrollment<'a> {
    secret: &'a str,
    otpauth_uri: &'a str,
    qr_svg: &'a str,
}

/// 200 with the new secret, its `otpauth://` URI and QR code; only after a
/// recent authentication.
pub(super) async fn enroll(State(routes): State<Routes>, user: AuthUser) -> Reply {
    routes.require_recent(&user)?;
    let enrollment = routes
        .authenticator
        .enroll_totp(user.subject())
        .await
        .map_err(|error| routes.error(error))?;
    Ok(json(
        StatusCode::OK,
        Enrollment {
            secret: &enrollment.secret_base32,
            otpauth_uri: &enrollment.otpauth_uri,
            qr_svg: &enrollment.qr_svg,
        },
    ))
}

/// The first code. No `Debug`: it is a secret.
#[derive(Deserialize)]
pub(super) struct Confirmation {
    code: String,
}

#[derive(Serialize)]
struct RecoveryCodes<'a> {
    recovery_codes: &'a [String],
}

/// 200 with ten recovery codes; a wrong code is 422 here, the request being
/// authenticated already. Only after a recent authentication.
pub(super) async fn confirm(
    State(routes): State<Routes>,
    user: AuthUser,
    Client(client): Client,
    JsonBody(body): JsonBody<Confirmation>,
) -> Reply {
    routes.require_recent(&user)?;
    let codes = routes
        .authenticator
        .confirm_totp(user.subject(), &body.code, client)
        .await
        .map_err(|error| match error {
            auth_core::FlowError::InvalidCode => {
                routes.error(ApiError::new(ApiErrorKind::InvalidConfirmationCode))
            }
            error => routes.error(error),
        })?;
    Ok(json(
        StatusCode::OK,
        RecoveryCodes {
            recovery_codes: &codes,
        },
    ))
}
