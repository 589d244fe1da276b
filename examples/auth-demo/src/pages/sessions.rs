//! The "Where you're signed in" section of `/account`, and
//! `POST /account/sessions/{id}/end` (form; session, recent): signs one
//! device out.

use auth_core::store::Session;
use auth_middleware::{ApiError, ApiErrorKind, AuthUser, Client};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use super::{moment, see_other};
use crate::app::{DemoState, REALM};
use crate::html::Escaped;

/// `POST /account/sessions/{id}/end`: ends one of the user's sessions (its
/// refresh token and its access tokens stop working), back to `/account`.
/// Ending the page's own session signs this browser out too, as `/logout`.
pub(crate) async fn end(
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
    match state.auth.end_session(user.subject(), &id, &client).await {
        Ok(()) if user.access_claims().sid.as_deref() == Some(id.as_str()) => {
            super::account::signed_out(&state)
        }
        Ok(()) => {
            tracing::info!(user_id = %user.subject(), outcome = "session_ended", "session ended from the account page");
            see_other("/account")
        }
        Err(error) => super::account::failure(&user, error),
    }
}

/// The user's sessions, the most recently used first, each with its device
/// (user agent), address and times, a "Sign out" button, and the page's own
/// session marked "This device".
pub(crate) fn account_section(sessions: &[Session], current_sid: Option<&str>) -> String {
    let items: String = sessions
        .iter()
        .map(|session| {
            let current = current_sid == Some(session.sid.as_str());
            format!(
                "<li class=\"session\" data-session=\"{id}\"{current_attr}>\
                 <span class=\"device\">{agent}</span>{mark} \
                 <span class=\"note\">from {ip}, signed in {created}, last active {used}</span> \
                 <form class=\"inline\" method=\"post\" action=\"/account/sessions/{id}/end\">\
                 <button type=\"submit\">Sign out</button></form></li>",
                id = Escaped(&session.sid),
                current_attr = if current { " data-current" } else { "" },
                agent = Escaped(session.user_agent.as_deref().unwrap_or("Unknown device")),
                mark = if current {
                    " <strong class=\"this-device\">This device</strong>"
                } else {
                    ""
                },
                ip = session
                    .ip
                    .map_or_else(|| "an unknown address".to_owned(), |ip| ip.to_string()),
                created = moment::when(session.created_at),
                used = moment::when(session.last_used_at),
            )
        })
        .collect();
    format!(
        "<h2>Where you're signed in</h2>\
         <p class=\"note\">Don't recognise one? Sign it out, then change your password.</p>\
         <ul class=\"sessions\">{items}</ul>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(sid: &str, agent: Option<&str>) -> Session {
        Session {
            sid: sid.to_owned(),
            user_id: "u".to_owned(),
            amr: vec!["pwd".to_owned()],
            auth_time: 0,
            created_at: 0,
            last_used_at: 60,
            ip: "192.0.2.1".parse().ok(),
            user_agent: agent.map(str::to_owned),
        }
    }

    #[test]
    fn the_section_escapes_agents_and_marks_this_device() {
        let sessions = [session("a", Some("<script>x</script>")), session("b", None)];
        let section = account_section(&sessions, Some("b"));
        assert!(section.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(!section.contains("<script>"));
        assert!(section.contains("/account/sessions/a/end"));
        assert!(section.contains("/account/sessions/b/end"));
        assert_eq!(section.matches("This device").count(), 1);
        assert!(section.contains("data-session=\"b\" data-current"));
        assert!(section.contains("Unknown device"));
        assert!(section.contains("from 192.0.2.1"));
        assert!(section.contains("last active 1970-01-01 00:01 UTC"));
    }
}
