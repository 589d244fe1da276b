//! `POST /mfa/verify`, `POST /mfa/totp/enroll`, `POST /mfa/totp/confirm`.

use axum::extract::State;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::Routes;
use super::reply::{ClientAddr, Reply, json, tokens};
use crate::api_error::ApiError;
use crate::error::AuthError;
use crate::json::JsonBody;
use crate::user::AuthUser;

/// The second step. No `Debug`: both fields are secrets.
#[derive(Deserialize)]
pub(super) struct Verification {
    mfa_token: String,
    code: String,
}

/// 200 with tokens (`amr` with `mfa`) and the refresh cookie.
pub(super) async fn verify(
    State(routes): State<Routes>,
    ClientAddr(client): ClientAddr,
    JsonBody(body): JsonBody<Verification>,
) -> Reply {
    let pair = routes
        .authenticator
        .verify_mfa(&body.mfa_token, &body.code, client)
        .await
        .map_err(|error| routes.error(error))?;
    Ok(tokens(&routes, &pair))
}

#[derive(Serialize)]
struct Enrollment<'a> {
    secret: &'a str,
    otpauth_uri: &'a str,
    qr_svg: &'a str,
}

/// 200 with the new secret, its `otpauth://` URI and QR code.
pub(super) async fn enroll(State(routes): State<Routes>, user: AuthUser) -> Reply {
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
/// authenticated already.
pub(super) async fn confirm(
    State(routes): State<Routes>,
    user: AuthUser,
    JsonBody(body): JsonBody<Confirmation>,
) -> Reply {
    let codes = routes
        .authenticator
        .confirm_totp(user.subject(), &body.code)
        .await
        .map_err(|error| match error {
            auth_core::Error::InvalidCode => {
                routes.error(ApiError::new(AuthError::InvalidConfirmationCode))
            }
            error => routes.error(error),
        })?;
    tracing::info!(user = %user.subject(), "TOTP enrolment confirmed");
    Ok(json(
        StatusCode::OK,
        RecoveryCodes {
            recovery_codes: &codes,
        },
    ))
}
