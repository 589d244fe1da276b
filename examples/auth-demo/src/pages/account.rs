//! The signed-in pages: `/account`, TOTP enrolment, `/logout`.
//!
//! Each takes `Option<AuthUser>` from the cookie layer and sends a visitor
//! without a session to `/login`.

use auth_core::FlowError;
use auth_middleware::policy::Requirement;
use auth_middleware::{AuthUser, Client};
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;

use super::{error_page, explain, layout, see_other};
use crate::app::DemoState;
use crate::html::Escaped;

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    code: String,
}

/// `GET /account`: who is signed in, the two-step sign-in setting, the
/// passkeys, where the user is signed in.
pub(crate) async fn show(State(state): State<DemoState>, user: Option<AuthUser>) -> Response {
    let Some(user) = user else {
        return see_other("/login");
    };
    let account = match state.auth.users().user_by_id(user.subject()).await {
        Ok(account) => account,
        Err(error) => return failure(&user, error.into()),
    };
    let username = account
        .as_ref()
        .map_or("(no account here)", |a| a.username.as_str());
    let totp_on = account
        .as_ref()
        .and_then(|a| a.totp.as_ref())
        .is_some_and(|totp| totp.confirmed);
    let join = |items: &[String]| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items
                .iter()
                .map(|i| Escaped(i).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let passkeys = match state.auth.passkeys(user.subject()).await {
        Ok(passkeys) => passkeys,
        Err(error) => return failure(&user, error),
    };
    let passkeys = super::passkeys::account_section(state.auth.passkeys_enabled(), &passkeys);
    let sessions = match state.auth.sessions(user.subject()).await {
        Ok(sessions) => sessions,
        Err(error) => return failure(&user, error),
    };
    let sessions = super::sessions::account_section(&sessions, user.access_claims().sid.as_deref());
    let totp = if totp_on {
        "<p>On: signing in asks for a code from your authenticator app.</p>".to_owned()
    } else {
        "<p>Off. Add an authenticator app so that a password alone is not enough.</p>\
         <form method=\"post\" action=\"/account/totp\">\
         <button type=\"submit\">Set up an authenticator app</button></form>"
            .to_owned()
    };
    layout(
        "Your account",
        &format!(
            "<dl><dt>Username</dt><dd>{username}</dd>\
             <dt>User id</dt><dd><code>{sub}</code></dd>\
             <dt>Signed in with</dt><dd>{amr}</dd>\
             <dt>Roles</dt><dd>{roles}</dd></dl>\
             <h2>Two-step sign-in</h2>{totp}{passkeys}{sessions}{SIGN_OUT}",
            username = Escaped(username),
            sub = Escaped(user.subject()),
            amr = join(user.amr()),
            roles = join(user.roles()),
        ),
    )
    .into_response()
}

const SIGN_OUT: &str = "<h2>Sign out</h2><form method=\"post\" action=\"/logout\">\
                        <button type=\"submit\">Sign out</button></form>";

/// `POST /account/totp`: a new TOTP secret, shown as a QR code with a form
/// to confirm it with a first code.
pub(crate) async fn enroll(State(state): State<DemoState>, user: Option<AuthUser>) -> Response {
    let Some(user) = user else {
        return see_other("/login");
    };
    if let Some(refused) = needs_recent_login(&state, &user) {
        return refused;
    }
    // Enrolling again would replace a confirmed secret with an unconfirmed
    // one, which turns two-step sign-in off until confirmed: not from a page.
    match state.auth.users().user_by_id(user.subject()).await {
        Ok(Some(account)) if account.totp.as_ref().is_some_and(|t| t.confirmed) => {
            let page = layout(
                "Authenticator app",
                "<p class=\"error\">Two-step sign-in is already on for this account.</p>\
                 <p><a href=\"/account\">Back to your account</a></p>",
            );
            return (StatusCode::CONFLICT, page).into_response();
        }
        Ok(_) => {}
        Err(error) => return failure(&user, error.into()),
    }
    let enrollment = match state.auth.enroll_totp(user.subject()).await {
        Ok(enrollment) => enrollment,
        Err(error) => return failure(&user, error),
    };
    tracing::info!(user_id = %user.subject(), outcome = "totp_enrollment_started", "TOTP enrolment started");
    let qr = base64::engine::general_purpose::STANDARD.encode(enrollment.qr_svg.as_bytes());
    layout(
        "Authenticator app",
        &format!(
            "<p>Scan this code with your authenticator app (Google Authenticator, \
             Aegis, 1Password, …):</p>\
             <p><img class=\"qr\" src=\"data:image/svg+xml;base64,{qr}\" \
             alt=\"QR code holding the setup key below\"></p>\
             <p class=\"note\">Cannot scan? Enter this key by hand: \
             <code>{secret}</code></p>{form}",
            secret = Escaped(&group_by_four(&enrollment.secret_base32)),
            form = confirm_form(),
        ),
    )
    .into_response()
}

/// `POST /account/totp/confirm`: turns two-step sign-in on with a first code
/// and shows the ten recovery codes, once.
pub(crate) async fn confirm(
    State(state): State<DemoState>,
    user: Option<AuthUser>,
    Client(client): Client,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let Some(user) = user else {
        return see_other("/login");
    };
    if let Some(refused) = needs_recent_login(&state, &user) {
        return refused;
    }
    let code = match form {
        Ok(Form(form)) => form.code,
        Err(rejection) => {
            return (rejection.status(), retry_page("Please enter a code.")).into_response();
        }
    };
    let codes = match state
        .auth
        .confirm_totp(user.subject(), code.trim(), &client)
        .await
    {
        Ok(codes) => codes,
        Err(FlowError::InvalidCode) => {
            tracing::info!(user_id = %user.subject(), outcome = "invalid_code", "TOTP confirmation refused");
            let page = retry_page(
                "That code did not match. Enter the code your app shows now \
                 (check that your phone's clock is right).",
            );
            return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
        }
        Err(error) => return failure(&user, error),
    };
    tracing::info!(user_id = %user.subject(), outcome = "totp_confirmed", "TOTP confirmed, recovery codes shown");
    let list: String = codes
        .iter()
        .map(|code| format!("<li>{}</li>", Escaped(code)))
        .collect();
    layout(
        "Two-step sign-in is on",
        &format!(
            "<p>From now on, signing in asks for a code from your authenticator app.</p>\
             <p><strong>Save these recovery codes now</strong>: each one signs you in once \
             if you lose your phone, and this is the only time they are shown.</p>\
             <ol class=\"codes\">{list}</ol>\
             <p><a href=\"/account\">Back to your account</a></p>"
        ),
    )
    .into_response()
}

/// `POST /logout`: revokes the session (its access token and its refresh
/// family, as `/auth/logout` does), clears both cookies, and on to `/login`.
pub(crate) async fn logout(
    State(state): State<DemoState>,
    user: Option<AuthUser>,
    Client(client): Client,
    headers: HeaderMap,
) -> Response {
    let refresh = state.cookies.refresh_from(&headers);
    let revoked = match (&user, refresh) {
        (Some(user), refresh) => {
            state
                .auth
                .logout(user.access_claims(), refresh, &client)
                .await
        }
        (None, Some(refresh)) => state.auth.logout_refresh(refresh, &client).await,
        (None, None) => Ok(()),
    };
    let user_id = user.as_ref().map_or("", |user| user.subject());
    if let Err(error) = revoked {
        // The session is still valid: keep the cookies so that signing out
        // can be tried again.
        tracing::warn!(%user_id, outcome = %error, "page logout failed");
        let page = layout(
            "Sign out",
            &format!(
                "<p class=\"error\">{}</p>{SIGN_OUT}",
                Escaped(&explain(&error))
            ),
        );
        return error_page(error, page);
    }
    tracing::info!(%user_id, outcome = "signed_out", "page logout");
    signed_out(&state)
}

/// On to `/login`, both cookies deleted: the page's session has ended.
pub(super) fn signed_out(state: &DemoState) -> Response {
    let mut response = see_other("/login");
    let response_headers = response.headers_mut();
    response_headers.append(SET_COOKIE, state.cookies.clear_access());
    response_headers.append(SET_COOKIE, state.cookies.clear_refresh());
    response
}

/// The answer to an account change whose session is older than
/// `AUTH_DEMO_STEP_UP_MAX_AGE` (401, as the JSON routes answer): a link to
/// sign in again, which makes the session recent.
pub(super) fn needs_recent_login(state: &DemoState, user: &AuthUser) -> Option<Response> {
    let max_age = state.step_up_max_age.as_secs();
    let error = user.meets(&Requirement::RecentAuth(max_age)).err()?;
    let page = layout(
        "Please sign in again",
        "<p class=\"error\" role=\"alert\">For this change you need to have signed in \
         within the last few minutes.</p>\
         <form method=\"post\" action=\"/logout\"><button type=\"submit\">Sign in again</button></form>\
         <p><a href=\"/account\">Back to your account</a></p>",
    );
    let response = auth_middleware::ApiError::from(error)
        .realm(crate::app::REALM)
        .into_response();
    Some(super::with_html(response, page))
}

/// A flow error on a signed-in page.
pub(super) fn failure(user: &AuthUser, error: FlowError) -> Response {
    tracing::warn!(user_id = %user.subject(), outcome = %error, "account page failed");
    let page = layout(
        "Your account",
        &format!(
            "<p class=\"error\">{}</p><p><a href=\"/account\">Back to your account</a></p>",
            Escaped(&explain(&error))
        ),
    );
    error_page(error, page)
}

fn confirm_form() -> &'static str {
    "<form method=\"post\" action=\"/account/totp/confirm\">\
     <label>Code from the app <input name=\"code\" inputmode=\"numeric\" \
     autocomplete=\"one-time-code\" required maxlength=\"6\"></label>\
     <button type=\"submit\">Turn on two-step sign-in</button></form>"
}

fn retry_page(message: &str) -> Html<String> {
    layout(
        "Authenticator app",
        &format!(
            "<p class=\"error\" role=\"alert\">{}</p>{form}\
             <div class=\"note\">Lost the QR code? \
             <form class=\"inline\" method=\"post\" action=\"/account/totp\">\
             <button type=\"submit\">Start again</button></form></div>",
            Escaped(message),
            form = confirm_form(),
        ),
    )
}

/// `ABCD EFGH …`: easier to read and type than one long run.
fn group_by_four(secret: &str) -> String {
    secret
        .chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|chunk| chunk.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_grouped_for_typing() {
        assert_eq!(group_by_four("ABCDEFGHIJ"), "ABCD EFGH IJ");
        assert_eq!(group_by_four(""), "");
    }
}
