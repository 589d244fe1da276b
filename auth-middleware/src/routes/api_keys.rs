//! `POST /api-keys` and `DELETE /api-keys/{id}`.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::Routes;
use super::reply::{Reply, json};
use crate::extract::client::Client;
use crate::extract::user::AuthUser;
use crate::routes::error::ApiErrorKind;
use crate::routes::json::JsonBody;

#[derive(Deserialize)]
pub(super) struct NewKey {
    name: String,
}

#[derive(Serialize)]
struct Created<'a> {
    id: &'a str,
    key: &'a str,
}

/// 201 `{"id","key"}`: the key is shown this once. Only after a recent
/// authentication (a key outlives every session, so a stolen access token
/// must not be able to mint one); 409 past the per-user limit.
pub(super) async fn create(
    State(routes): State<Routes>,
    user: AuthUser,
    Client(client): Client,
    JsonBody(body): JsonBody<NewKey>,
) -> Reply {
    routes.require_recent(&user)?;
    let key = routes
        .authenticator
        .create_api_key(user.subject(), &body.name, client)
        .await
        .map_err(|error| routes.error(error))?;
    Ok(json(
        StatusCode::CREATED,
        Created {
            id: &key.id,
            key: &key.key,
        },
    ))
}

/// 204; 404 for a key the caller does not own (or an id no key can have).
pub(super) async fn revoke(
    State(routes): State<Routes>,
    user: AuthUser,
    Client(client): Client,
    id: Result<Path<String>, PathRejection>,
) -> Reply {
    let Ok(Path(id)) = id else {
        return Err(routes.error(ApiErrorKind::NotFound));
    };
    routes
        .authenticator
        .revoke_api_key(user.subject(), &id, client)
        .await
        .map_err(|error| routes.error(error))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
