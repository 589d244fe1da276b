//! Signing up on the site: `/register`, then straight into the new account.

use auth_core::FlowError;
use auth_core::flow::LoginOutcome;
use auth_core::password::PasswordProblem;
use auth_middleware::Client;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::login::{message_html, signed_in};
use super::{error_page, explain, layout, see_other};
use crate::app::DemoState;
use crate::html::Escaped;

#[derive(Deserialize)]
pub(crate) struct RegisterForm {
    username: String,
    password: String,
}

/// `GET /register`.
pub(crate) async fn form() -> Html<String> {
    register_page("", None)
}

/// `POST /register`: creates the account and signs the new user in (303 to
/// `/account` with both session cookies). A refused name or password shows
/// the form again with the reason, under the status the JSON route answers
/// (409, 422, 429, 503).
pub(crate) async fn submit(
    State(state): State<DemoState>,
    Client(client): Client,
    form: Result<Form<RegisterForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => {
            let page = register_page("", Some("Please choose a username and a password."));
            return (rejection.status(), page).into_response();
        }
    };
    if let Err(error) = state
        .auth
        .register(&form.username, &form.password, &client)
        .await
    {
        tracing::info!(client = ?client.ip(), outcome = %error, "page registration refused");
        let page = register_page(&form.username, Some(&refusal(&error)));
        return error_page(error, page);
    }
    // The same check a sign-in makes, so the new session is like any other.
    match state
        .auth
        .login(&form.username, &form.password, &client)
        .await
    {
        Ok(LoginOutcome::Tokens(pair)) => signed_in(&state, &pair, "pwd"),
        // A new account has no second factor; should the login not go
        // through (a store outage), the account exists: sign in normally.
        Ok(LoginOutcome::MfaRequired(_)) | Err(_) => see_other("/login"),
    }
}

/// What a person can do about a refused registration.
fn refusal(error: &FlowError) -> String {
    match error {
        FlowError::UsernameTaken => "That username is taken; please choose another.".to_owned(),
        FlowError::InvalidUsername => "Usernames have 1 to 64 characters, without spaces, \
                                       control or invisible characters."
            .to_owned(),
        FlowError::WeakPassword(PasswordProblem::TooShort { min }) => {
            format!("Please choose a password of at least {min} characters.")
        }
        FlowError::WeakPassword(PasswordProblem::TooLong { max }) => {
            format!("Please choose a password of at most {max} characters.")
        }
        FlowError::WeakPassword(PasswordProblem::SameAsUsername) => {
            "Your password must not be your username.".to_owned()
        }
        FlowError::WeakPassword(_) => "Please choose another password.".to_owned(),
        error => explain(error),
    }
}

fn register_page(username: &str, message: Option<&str>) -> Html<String> {
    layout(
        "Create an account",
        &format!(
            "{message}<form method=\"post\" action=\"/register\">\
             <label>Username <input name=\"username\" autocomplete=\"username\" required \
             maxlength=\"64\" value=\"{username}\" autofocus></label>\
             <label>Password <input name=\"password\" type=\"password\" \
             autocomplete=\"new-password\" required minlength=\"8\" maxlength=\"128\"></label>\
             <button type=\"submit\">Create account</button></form>\
             <p class=\"note\">Already registered? <a href=\"/login\">Sign in</a>.</p>",
            message = message_html(message),
            username = Escaped(username),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_what_to_do() {
        assert!(refusal(&FlowError::UsernameTaken).contains("taken"));
        assert!(
            refusal(&FlowError::WeakPassword(PasswordProblem::TooShort {
                min: 8
            }))
            .contains("at least 8")
        );
    }

    #[test]
    fn the_form_escapes_what_was_typed() {
        let page = register_page("<b>", None);
        assert!(page.0.contains("value=\"&lt;b&gt;\""));
    }
}
