//! Passkeys on the pages: the script that runs the ceremonies
//! (`/passkeys.js`), the page routes it calls with the page's own cookies,
//! and the passkey list of `/account`.
//!
//! | route | needs | answer |
//! |---|---|---|
//! | `POST /login/passkey/options` | — | `{"ceremony","publicKey"}` |
//! | `POST /login/passkey` `{"ceremony","credential"}` | — | session cookies, `{"redirect"}` |
//! | `POST /mfa/passkey/options` | `__Host-mfa` cookie | `{"publicKey"}` |
//! | `POST /mfa/passkey` `{"credential"}` | `__Host-mfa` cookie | session cookies, `{"redirect"}` |
//! | `POST /account/passkeys/options` | session, recent | `{"publicKey"}` |
//! | `POST /account/passkeys` `{"credential","name"}` | session, recent | 201 `{"id","name","redirect"}` |
//! | `POST /account/passkeys/{id}/delete` (form) | session, recent | 303 `/account` |
//!
//! Failures are the JSON errors of the API (`{"error","error_description"}`,
//! with the API's statuses), which the script shows. Like every page route,
//! these refuse requests from other sites.

use auth_core::FlowError;
use auth_core::flow::TokenPair;
use auth_core::passkey::{AuthenticationResponse, RegistrationResponse};
use auth_core::store::Passkey;
use auth_middleware::policy::Requirement;
use auth_middleware::{ApiError, ApiErrorKind, AuthUser, Client, JsonBody};
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::login::MfaCookie;
use super::{moment, see_other};
use crate::app::{DemoState, REALM};
use crate::html::Escaped;

/// The script of the passkey buttons.
const SCRIPT: &str = include_str!("../../static/passkeys.js");

/// `GET /passkeys.js`.
pub(crate) async fn script() -> Response {
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        SCRIPT,
    )
        .into_response()
}

/// The `<script>` element the pages with passkey buttons carry.
pub(crate) const SCRIPT_TAG: &str = "<script src=\"/passkeys.js\" defer></script>";

/// Where the script's messages appear.
pub(crate) const STATUS: &str = "<p id=\"passkey-status\" class=\"note\" role=\"status\"></p>";

type Reply = Result<Response, ApiError>;

fn refused(error: impl Into<ApiError>) -> ApiError {
    error.into().realm(REALM)
}

fn credential<T: serde::de::DeserializeOwned>(credential: Value) -> Result<T, ApiError> {
    serde_json::from_value(credential).map_err(|_| refused(ApiErrorKind::MalformedCredential))
}

/// 200 `{"redirect": "/account"}` with both session cookies.
fn signed_in(state: &DemoState, pair: &TokenPair) -> Response {
    let mut response = (
        [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(json!({ "redirect": "/account" })),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.append(
        SET_COOKIE,
        state.cookies.set_access(&pair.access.access_token),
    );
    headers.append(SET_COOKIE, state.cookies.set_refresh(pair.refresh.expose()));
    response
}

/// `POST /login/passkey/options`.
pub(crate) async fn sign_in_options(
    State(state): State<DemoState>,
    Client(client): Client,
) -> Reply {
    let started = state
        .auth
        .passkey_sign_in_options(client)
        .await
        .map_err(refused)?;
    let mut body =
        serde_json::to_value(&started.options).map_err(|_| refused(ApiErrorKind::Internal))?;
    if let Some(fields) = body.as_object_mut() {
        fields.insert("ceremony".to_owned(), Value::String(started.ceremony));
    }
    Ok(Json(body).into_response())
}

#[derive(Deserialize)]
pub(crate) struct SignIn {
    ceremony: String,
    credential: Value,
}

/// `POST /login/passkey`.
pub(crate) async fn sign_in(
    State(state): State<DemoState>,
    Client(client): Client,
    JsonBody(body): JsonBody<SignIn>,
) -> Reply {
    let response: AuthenticationResponse = credential(body.credential)?;
    let pair = state
        .auth
        .sign_in_with_passkey(&body.ceremony, &response, &client)
        .await
        .map_err(refused)?;
    tracing::info!(outcome = "signed_in", method = "passkey", "page login");
    Ok(signed_in(&state, &pair))
}

/// `POST /mfa/passkey/options`: for the password step waiting in the
/// `__Host-mfa` cookie.
pub(crate) async fn second_step_options(
    State(state): State<DemoState>,
    headers: HeaderMap,
) -> Reply {
    let mfa_token = MfaCookie::read(&headers).ok_or_else(|| refused(FlowError::InvalidCode))?;
    let options = state
        .auth
        .mfa_passkey_options(mfa_token)
        .await
        .map_err(refused)?;
    Ok(Json(options).into_response())
}

#[derive(Deserialize)]
pub(crate) struct SecondStep {
    credential: Value,
}

/// `POST /mfa/passkey`.
pub(crate) async fn second_step(
    State(state): State<DemoState>,
    Client(client): Client,
    headers: HeaderMap,
    JsonBody(body): JsonBody<SecondStep>,
) -> Reply {
    let mfa_token = MfaCookie::read(&headers).ok_or_else(|| refused(FlowError::InvalidCode))?;
    let response: AuthenticationResponse = credential(body.credential)?;
    let pair = state
        .auth
        .verify_mfa_passkey(mfa_token, &response, &client)
        .await
        .map_err(refused)?;
    tracing::info!(outcome = "signed_in", method = "mfa", "page login");
    let mut answer = signed_in(&state, &pair);
    answer.headers_mut().append(SET_COOKIE, MfaCookie::clear());
    Ok(answer)
}

/// The signed-in caller, recently authenticated: the API's 401 otherwise.
fn recent(state: &DemoState, user: Option<AuthUser>) -> Result<AuthUser, ApiError> {
    let user = user.ok_or_else(|| refused(auth_middleware::AuthError::MissingToken))?;
    user.meets(&Requirement::RecentAuth(state.step_up_max_age.as_secs()))
        .map_err(refused)?;
    Ok(user)
}

/// `POST /account/passkeys/options`.
pub(crate) async fn registration_options(
    State(state): State<DemoState>,
    user: Option<AuthUser>,
) -> Reply {
    let user = recent(&state, user)?;
    let options = state
        .auth
        .passkey_registration_options(user.subject())
        .await
        .map_err(refused)?;
    Ok(Json(options).into_response())
}

#[derive(Deserialize)]
pub(crate) struct NewPasskey {
    credential: Value,
    name: Option<String>,
}

/// `POST /account/passkeys`.
pub(crate) async fn register(
    State(state): State<DemoState>,
    user: Option<AuthUser>,
    Client(client): Client,
    JsonBody(body): JsonBody<NewPasskey>,
) -> Reply {
    let user = recent(&state, user)?;
    let response: RegistrationResponse = credential(body.credential)?;
    let passkey = state
        .auth
        .register_passkey(user.subject(), &response, body.name.as_deref(), &client)
        .await
        .map_err(refused)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": passkey.id, "name": passkey.name, "redirect": "/account" })),
    )
        .into_response())
}

/// `POST /account/passkeys/{id}/delete`: a form on `/account`.
pub(crate) async fn delete(
    State(state): State<DemoState>,
    user: Option<AuthUser>,
    Client(client): Client,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let Some(user) = user else {
        return see_other("/login");
    };
    if let Some(refused) = super::account::needs_recent_login(&state, &user) {
        return refused;
    }
    let Ok(Path(id)) = id else {
        return ApiError::from(ApiErrorKind::NotFound)
            .realm(REALM)
            .into_response();
    };
    match state
        .auth
        .delete_passkey(user.subject(), &id, &client)
        .await
    {
        Ok(()) => see_other("/account"),
        Err(error) => super::account::failure(&user, error),
    }
}

/// The passkey section of `/account`: the list with a delete button each,
/// and "Add a passkey"; or why passkeys are off.
pub(crate) fn account_section(enabled: bool, passkeys: &[Passkey]) -> String {
    if !enabled {
        return "<h2>Passkeys</h2><p class=\"note\">Passkeys are off on this server: its \
                address (<code>AUTH_DEMO_ISSUER</code>) must name a host such as \
                <code>localhost</code>, not an IP address.</p>"
            .to_owned();
    }
    let list: String = if passkeys.is_empty() {
        "<p>No passkey yet. A passkey signs you in with your fingerprint, face or \
         device PIN, without a password.</p>"
            .to_owned()
    } else {
        let items: String = passkeys
            .iter()
            .map(|passkey| {
                format!(
                    "<li><span class=\"passkey-name\">{name}</span> \
                     <span class=\"note\">added {created}, {used}</span> \
                     <form class=\"inline\" method=\"post\" action=\"/account/passkeys/{id}/delete\">\
                     <button type=\"submit\">Delete</button></form></li>",
                    name = Escaped(&passkey.name),
                    created = moment::when(passkey.created_at),
                    used = passkey
                        .last_used_at
                        .map_or_else(|| "never used".to_owned(), |at| format!("last used {}", moment::when(at))),
                    id = Escaped(&passkey.id),
                )
            })
            .collect();
        format!("<ul class=\"passkeys\">{items}</ul>")
    };
    format!(
        "<h2>Passkeys</h2>{list}\
         <label>Name of the new passkey <input id=\"passkey-name\" maxlength=\"64\" \
         placeholder=\"This laptop\"></label>\
         <button type=\"button\" data-passkey=\"add\">Add a passkey</button>{STATUS}{SCRIPT_TAG}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_section_escapes_names_and_offers_adding() {
        let passkey = Passkey {
            id: "abc".into(),
            user_id: "u".into(),
            name: "<b>laptop</b>".into(),
            created_at: 0,
            last_used_at: None,
            counter: 0,
            credential: String::new(),
        };
        let section = account_section(true, &[passkey]);
        assert!(section.contains("&lt;b&gt;laptop&lt;/b&gt;"));
        assert!(section.contains("/account/passkeys/abc/delete"));
        assert!(section.contains("data-passkey=\"add\""));
        assert!(account_section(false, &[]).contains("Passkeys are off"));
    }
}
