//! `POST /refresh`, `POST /logout`, `POST /logout-all`, and the caller's
//! sessions: `GET /sessions`, `DELETE /sessions/{id}`.

use std::net::IpAddr;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use http::header::SET_COOKIE;
use http::{HeaderMap, StatusCode};
use serde::Serialize;

use super::Routes;
use super::reply::{Reply, json, no_content_clearing_cookies, tokens};
use crate::extract::client::Client;
use crate::extract::user::AuthUser;
use crate::routes::error::ApiErrorKind;

/// 200 with new tokens and the next refresh cookie (rotation). A refused
/// refresh token is deleted from the client too.
pub(super) async fn refresh(
    State(routes): State<Routes>,
    Client(client): Client,
    headers: HeaderMap,
) -> Reply {
    routes.check_origin(&headers)?;
    let Some(refresh_token) = routes.cookies.refresh_from(&headers) else {
        return Err(routes.error(ApiErrorKind::InvalidGrant));
    };
    match routes.authenticator.refresh(refresh_token, client).await {
        Ok(pair) => Ok(tokens(&routes, &pair)),
        Err(auth_core::FlowError::InvalidGrant) => {
            let mut response = routes.error(ApiErrorKind::InvalidGrant).into_response();
            response
                .headers_mut()
                .append(SET_COOKIE, routes.cookies.clear_refresh());
            Ok(response)
        }
        Err(error) => Err(routes.error(error)),
    }
}

/// 204: the access token and its session are revoked (and the session of the
/// refresh cookie, if it is the caller's), the cookies deleted.
pub(super) async fn logout(
    State(routes): State<Routes>,
    user: AuthUser,
    Client(client): Client,
    headers: HeaderMap,
) -> Reply {
    let refresh_token = routes.cookies.refresh_from(&headers);
    routes
        .authenticator
        .logout(user.access_claims(), refresh_token, client)
        .await
        .map_err(|error| routes.error(error))?;
    Ok(no_content_clearing_cookies(&routes))
}

/// 204: every session and access token of the caller is revoked.
pub(super) async fn logout_all(
    State(routes): State<Routes>,
    user: AuthUser,
    Client(client): Client,
) -> Reply {
    routes
        .authenticator
        .logout_all(user.subject(), client)
        .await
        .map_err(|error| routes.error(error))?;
    Ok(no_content_clearing_cookies(&routes))
}

/// One of the caller's sessions, as `GET /sessions` lists it.
#[derive(Serialize)]
struct Listed<'a> {
    id: &'a str,
    created_at: i64,
    last_used_at: i64,
    ip: Option<IpAddr>,
    user_agent: Option<&'a str>,
    /// The session of the access token that asks.
    current: bool,
}

#[derive(Serialize)]
struct Listing<'a> {
    sessions: Vec<Listed<'a>>,
}

/// 200 `{"sessions": [...]}`: the caller's live sessions, the most recently
/// used first, the one of the asking token marked `current`.
pub(super) async fn list(State(routes): State<Routes>, user: AuthUser) -> Reply {
    let sessions = routes
        .authenticator
        .sessions(user.subject())
        .await
        .map_err(|error| routes.error(error))?;
    let own = user.access_claims().sid.as_deref();
    let sessions = sessions
        .iter()
        .map(|session| Listed {
            id: &session.sid,
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            ip: session.ip,
            user_agent: session.user_agent.as_deref(),
            current: own == Some(session.sid.as_str()),
        })
        .collect();
    Ok(json(StatusCode::OK, Listing { sessions }))
}

/// 204: the session's refresh token and access tokens are refused from now
/// on. 404 for a session the caller does not have (another user's, an ended
/// one, an id no session can have). Only after a recent authentication: a
/// stolen access token must not be able to sign the owner out of their other
/// devices and keep its own session.
pub(super) async fn end(
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
        .end_session(user.subject(), &id, client)
        .await
        .map_err(|error| routes.error(error))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
