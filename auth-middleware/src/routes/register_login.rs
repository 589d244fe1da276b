//! `POST /register` and `POST /login`.

use auth_core::flow::LoginOutcome;
use axum::extract::State;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::Routes;
use super::reply::{Reply, json, tokens};
use crate::extract::client::Client;
use crate::routes::json::JsonBody;

/// A username and a password. No `Debug`: the password must not reach a log.
#[derive(Deserialize)]
pub(super) struct Credentials {
    username: String,
    password: String,
}

#[derive(Serialize)]
struct Registered<'a> {
    user_id: &'a str,
}

/// 201 `{"user_id"}`.
pub(super) async fn register(
    State(routes): State<Routes>,
    Client(client): Client,
    JsonBody(credentials): JsonBody<Credentials>,
) -> Reply {
    let user = routes
        .authenticator
        .register(&credentials.username, &credentials.password, client)
        .await
        .map_err(|error| routes.error(error))?;
    Ok(json(StatusCode::CREATED, Registered { user_id: &user.id }))
}

#[derive(Serialize)]
struct MfaRequired<'a> {
    mfa_required: bool,
    mfa_token: &'a str,
    expires_in: u64,
    methods: &'a [&'static str],
}

/// 200 with tokens and the refresh cookie, or the second-factor challenge
/// (no cookie).
pub(super) async fn login(
    State(routes): State<Routes>,
    Client(client): Client,
    JsonBody(credentials): JsonBody<Credentials>,
) -> Reply {
    let outcome = routes
        .authenticator
        .login(&credentials.username, &credentials.password, client)
        .await
        .map_err(|error| routes.error(error))?;
    Ok(match outcome {
        LoginOutcome::Tokens(pair) => tokens(&routes, &pair),
        LoginOutcome::MfaRequired(challenge) => json(
            StatusCode::OK,
            MfaRequired {
                mfa_required: true,
                mfa_token: &challenge.mfa_token,
                expires_in: challenge.expires_in,
                methods: &challenge.methods,
            },
        ),
    })
}
