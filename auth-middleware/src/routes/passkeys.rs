//! The passkey endpoints (feature `passkeys`): registration, the list and
//! deletion, discoverable sign-in, the options of the passkey as second step.

use auth_core::passkey::{AuthenticationResponse, RegistrationResponse};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Routes;
use super::reply::{Reply, json, tokens};
use crate::extract::client::Client;
use crate::extract::user::AuthUser;
use crate::routes::error::{ApiError, ApiErrorKind};
use crate::routes::json::JsonBody;

/// A `credential` from the browser, read apart from the body so that a
/// credential of the wrong shape is a 400 of its own, not a body error.
pub(super) fn credential<T: serde::de::DeserializeOwned>(
    routes: &Routes,
    credential: Value,
) -> Result<T, ApiError> {
    serde_json::from_value(credential).map_err(|_| routes.error(ApiErrorKind::MalformedCredential))
}

/// 200 `{"publicKey": creation options}`; only after a recent authentication.
pub(super) async fn registration_options(State(routes): State<Routes>, user: AuthUser) -> Reply {
    routes.require_recent(&user)?;
    let options = routes
        .authenticator
        .passkey_registration_options(user.subject())
        .await
        .map_err(|error| routes.error(error))?;
    Ok(json(StatusCode::OK, options))
}

#[derive(Deserialize)]
pub(super) struct NewPasskey {
    credential: Value,
    name: Option<String>,
}

#[derive(Serialize)]
struct Registered<'a> {
    id: &'a str,
    name: &'a str,
}

/// 201 `{"id","name"}`; 422 `invalid_passkey` when the attestation does not
/// verify. Only after a recent authentication.
pub(super) async fn register(
    State(routes): State<Routes>,
    user: AuthUser,
    Client(client): Client,
    JsonBody(body): JsonBody<NewPasskey>,
) -> Reply {
    routes.require_recent(&user)?;
    let response: RegistrationResponse = credential(&routes, body.credential)?;
    let passkey = routes
        .authenticator
        .register_passkey(user.subject(), &response, body.name.as_deref(), client)
        .await
        .map_err(|error| routes.error(error))?;
    Ok(json(
        StatusCode::CREATED,
        Registered {
            id: &passkey.id,
            name: &passkey.name,
        },
    ))
}

#[derive(Serialize)]
struct Listed<'a> {
    id: &'a str,
    name: &'a str,
    created_at: i64,
    last_used_at: Option<i64>,
}

#[derive(Serialize)]
struct Listing<'a> {
    passkeys: Vec<Listed<'a>>,
}

/// 200 `{"passkeys": [{"id","name","created_at","last_used_at"}]}`.
pub(super) async fn list(State(routes): State<Routes>, user: AuthUser) -> Reply {
    let passkeys = routes
        .authenticator
        .passkeys(user.subject())
        .await
        .map_err(|error| routes.error(error))?;
    let passkeys = passkeys
        .iter()
        .map(|passkey| Listed {
            id: &passkey.id,
            name: &passkey.name,
            created_at: passkey.created_at,
            last_used_at: passkey.last_used_at,
        })
        .collect();
    Ok(json(StatusCode::OK, Listing { passkeys }))
}

/// 204; 404 for a passkey the caller does not own. Only after a recent
/// authentication.
pub(super) async fn delete(
    State(routes): State<Routes>,
    user: AuthUser,
    Client(client): Client,
    id: Result<Path<String>, PathRejection>,
) -> Reply {
    routes.require_recent(&user)?;
    let Ok(Path(id)) = id else {
        return Err(routes.error(ApiErrorKind::NotFound));
    };
    routes
        .authenticator
        .delete_passkey(user.subject(), &id, client)
        .await
        .map_err(|error| routes.error(error))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Serialize)]
struct SignInOptions<'a> {
    ceremony: &'a str,
    #[serde(flatten)]
    options: &'a auth_core::passkey::RequestOptions,
}

/// 200 `{"ceremony", "publicKey": request options}` for a discoverable sign-in.
pub(super) async fn sign_in_options(State(routes): State<Routes>, Client(client): Client) -> Reply {
    let started = routes
        .authenticator
        .passkey_sign_in_options(client)
        .await
        .map_err(|error| routes.error(error))?;
    Ok(json(
        StatusCode::OK,
        SignInOptions {
            ceremony: &started.ceremony,
            options: &started.options,
        },
    ))
}

#[derive(Deserialize)]
pub(super) struct SignIn {
    ceremony: String,
    credential: Value,
}

/// 200 with tokens and the refresh cookie; 401 `invalid_credentials`.
pub(super) async fn sign_in(
    State(routes): State<Routes>,
    Client(client): Client,
    JsonBody(body): JsonBody<SignIn>,
) -> Reply {
    let response: AuthenticationResponse = credential(&routes, body.credential)?;
    let pair = routes
        .authenticator
        .sign_in_with_passkey(&body.ceremony, &response, client)
        .await
        .map_err(|error| routes.error(error))?;
    Ok(tokens(&routes, &pair))
}

/// The `mfa_token` of the password step. No `Debug`: it is a secret.
#[derive(Deserialize)]
pub(super) struct SecondStep {
    mfa_token: String,
}

/// 200 `{"publicKey": request options}` listing the user's passkeys; 401
/// `invalid_code` for a bad or spent `mfa_token`, 404 without a passkey.
pub(super) async fn second_step_options(
    State(routes): State<Routes>,
    JsonBody(body): JsonBody<SecondStep>,
) -> Reply {
    let options = routes
        .authenticator
        .mfa_passkey_options(&body.mfa_token)
        .await
        .map_err(|error| routes.error(error))?;
    Ok(json(StatusCode::OK, options))
}
