//! Signing in on the site: `/login` (password) and `/mfa` (second factor).
//!
//! Between the two steps the `mfa_token` of the password step waits in the
//! short-lived `__Host-mfa` cookie, so no token ever appears in a page or a URL.

use auth_core::FlowError;
use auth_core::flow::{LoginOutcome, MfaChallenge, TokenPair};
use auth_middleware::CookieConfig;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use auth_middleware::Client;

use super::{error_page, explain, layout, see_other};
use crate::app::DemoState;
use crate::html::Escaped;

/// The `__Host-mfa` cookie that carries the `mfa_token` from `/login` to
/// `/mfa`: the session cookies' attributes and parser (a [`CookieConfig`]
/// whose one slot is used), living only as long as the token.
pub(super) struct MfaCookie(CookieConfig);

impl MfaCookie {
    fn new(max_age: u64) -> Self {
        MfaCookie(
            CookieConfig::default()
                .access_cookie("__Host-mfa")
                .max_age(max_age),
        )
    }

    pub(super) fn read(headers: &HeaderMap) -> Option<&str> {
        MfaCookie::new(0).0.access_from(headers)
    }

    fn set(challenge: &MfaChallenge) -> HeaderValue {
        MfaCookie::new(challenge.expires_in)
            .0
            .set_access(&challenge.mfa_token)
    }

    pub(super) fn clear() -> HeaderValue {
        MfaCookie::new(0).0.clear_access()
    }
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    code: String,
}

/// `GET /login`.
pub(crate) async fn form(State(state): State<DemoState>) -> Html<String> {
    login_page(&state, "", None)
}

/// `POST /login`: the password step. Success without a second factor sets
/// both session cookies; with TOTP enrolled, the `__Host-mfa` cookie and on to `/mfa`.
pub(crate) async fn submit(
    State(state): State<DemoState>,
    Client(client): Client,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => {
            let page = login_page(
                &state,
                "",
                Some("Please fill in both username and password."),
            );
            return (rejection.status(), page).into_response();
        }
    };
    let ip = client.ip();
    match state
        .auth
        .login(&form.username, &form.password, &client)
        .await
    {
        Ok(LoginOutcome::Tokens(pair)) => signed_in(&state, &pair, "pwd"),
        Ok(LoginOutcome::MfaRequired(challenge)) => second_step(&challenge),
        Err(FlowError::InvalidCredentials) => {
            tracing::info!(client = ?ip, outcome = "invalid_credentials", "page login refused");
            error_page(
                FlowError::InvalidCredentials,
                login_page(&state, &form.username, Some("Wrong username or password.")),
            )
        }
        Err(error) => {
            tracing::info!(client = ?ip, outcome = %error, "page login failed");
            let page = login_page(&state, &form.username, Some(&explain(&error)));
            error_page(error, page)
        }
    }
}

/// `GET /mfa`: the second steps open to the account (a code, a passkey).
/// Without a pending password step it says so (sending the form then leads
/// back to `/login`).
pub(crate) async fn mfa_form(State(state): State<DemoState>, headers: HeaderMap) -> Html<String> {
    let Some(mfa_token) = MfaCookie::read(&headers) else {
        return mfa_page(
            ALL_STEPS,
            Some("Sign in with your password first; this page then asks for your code."),
        );
    };
    match state.auth.mfa_methods(mfa_token).await {
        Ok(methods) => mfa_page(&methods, None),
        Err(FlowError::InvalidCode) => mfa_page(
            ALL_STEPS,
            Some("This sign-in has expired; please start again."),
        ),
        Err(error) => mfa_page(ALL_STEPS, Some(&explain(&error))),
    }
}

/// What `/mfa` offers when it cannot tell what the account has.
const ALL_STEPS: &[&str] = &["totp", "recovery_code"];

/// `POST /mfa`: the second step, with a TOTP or recovery code.
pub(crate) async fn mfa_submit(
    State(state): State<DemoState>,
    Client(client): Client,
    headers: HeaderMap,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let Some(mfa_token) = MfaCookie::read(&headers) else {
        return see_other("/login");
    };
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => {
            let page = mfa_page(ALL_STEPS, Some("Please enter a code."));
            return (rejection.status(), page).into_response();
        }
    };
    let ip = client.ip();
    match state
        .auth
        .verify_mfa(mfa_token, form.code.trim(), &client)
        .await
    {
        Ok(pair) => {
            let mut response = signed_in(&state, &pair, "mfa");
            response
                .headers_mut()
                .append(SET_COOKIE, MfaCookie::clear());
            response
        }
        Err(FlowError::InvalidCode) => {
            tracing::info!(client = ?ip, outcome = "invalid_code", "page second step refused");
            error_page(
                FlowError::InvalidCode,
                mfa_page(
                    ALL_STEPS,
                    Some(
                        "That code did not work. Codes change every 30 seconds and work once; \
                         if this keeps failing, sign in again.",
                    ),
                ),
            )
        }
        Err(error) => {
            tracing::info!(client = ?ip, outcome = %error, "page second step failed");
            let page = mfa_page(ALL_STEPS, Some(&explain(&error)));
            error_page(error, page)
        }
    }
}

/// 303 to `/account` with both session cookies.
pub(super) fn signed_in(state: &DemoState, pair: &TokenPair, method: &'static str) -> Response {
    let user_id = state
        .auth
        .verifier()
        .verify(&pair.access.access_token)
        .map(|claims| claims.sub.clone())
        .unwrap_or_default();
    tracing::info!(%user_id, method, outcome = "signed_in", "page login");
    let mut response = see_other("/account");
    let headers = response.headers_mut();
    headers.append(
        SET_COOKIE,
        state.cookies.set_access(&pair.access.access_token),
    );
    headers.append(SET_COOKIE, state.cookies.set_refresh(pair.refresh.expose()));
    response
}

/// 303 to `/mfa`, with the `mfa_token` in its own short-lived cookie.
fn second_step(challenge: &MfaChallenge) -> Response {
    tracing::info!(outcome = "mfa_required", "page login needs a second factor");
    let mut response = see_other("/mfa");
    response
        .headers_mut()
        .append(SET_COOKIE, MfaCookie::set(challenge));
    response
}

pub(super) fn message_html(message: Option<&str>) -> String {
    message.map_or_else(String::new, |message| {
        format!("<p class=\"error\" role=\"alert\">{}</p>", Escaped(message))
    })
}

fn login_page(state: &DemoState, username: &str, message: Option<&str>) -> Html<String> {
    let passkey = if state.auth.passkeys_enabled() {
        format!(
            "<h2>Or without a password</h2>\
             <button type=\"button\" data-passkey=\"sign-in\">Sign in with a passkey</button>\
             {status}{script}",
            status = super::passkeys::STATUS,
            script = super::passkeys::SCRIPT_TAG,
        )
    } else {
        String::new()
    };
    layout(
        "Sign in",
        &format!(
            "{message}<form method=\"post\" action=\"/login\">\
             <label>Username <input name=\"username\" autocomplete=\"username\" required \
             value=\"{username}\" autofocus></label>\
             <label>Password <input name=\"password\" type=\"password\" \
             autocomplete=\"current-password\" required></label>\
             <button type=\"submit\">Sign in</button></form>{passkey}\
             <p class=\"note\">No account yet? <a href=\"/register\">Create one</a>.</p>",
            message = message_html(message),
            username = Escaped(username),
        ),
    )
}

/// The second-step page for the steps in `methods`.
fn mfa_page(methods: &[&str], message: Option<&str>) -> Html<String> {
    let passkey = if methods.contains(&"passkey") {
        format!(
            "<p>Use the passkey of this account:</p>\
             <button type=\"button\" data-passkey=\"second-step\">Use a passkey</button>\
             {status}{script}",
            status = super::passkeys::STATUS,
            script = super::passkeys::SCRIPT_TAG,
        )
    } else {
        String::new()
    };
    let code = if methods.contains(&"totp") {
        "<p>Enter the 6-digit code from your authenticator app, \
         or one of your recovery codes.</p>\
         <form method=\"post\" action=\"/mfa\">\
         <label>Code <input name=\"code\" autocomplete=\"one-time-code\" required autofocus \
         maxlength=\"64\"></label>\
         <button type=\"submit\">Continue</button></form>"
    } else {
        ""
    };
    layout(
        "Two-step sign-in",
        &format!(
            "{message}{passkey}{code}<p class=\"note\"><a href=\"/login\">Start again</a></p>",
            message = message_html(message),
        ),
    )
}
