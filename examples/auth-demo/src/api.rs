//! The JSON routes outside `/auth`: the protected API, the public keys, the
//! health check, and the answers for routes that are not there.

use auth_middleware::policy::Requirement;
use auth_middleware::{ApiError, AuthUser, Caller, require_auth};
use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::app::{DemoState, REALM};

/// `/api/*`; the caller puts the bearer/API-key layer over it.
pub(crate) fn router() -> Router<DemoState> {
    Router::new()
        .route("/api/me", get(me))
        .route("/api/secure", get(secure))
        .route("/api/recent", get(recent))
        .route("/api/admin", get(admin))
        .route("/api/key-echo", get(key_echo))
        .layer(axum::middleware::map_response(no_store))
}

/// Answers about a user are for that user only: no cache keeps them.
async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The routes anyone may call.
pub(crate) fn public_router() -> Router<DemoState> {
    Router::new()
        .route("/.well-known/jwks.json", get(jwks))
        .route("/healthz", get(healthz))
}

#[derive(Serialize)]
struct Me {
    sub: String,
    /// `null` for a subject this app has no account for (a token from the
    /// trusted HS256 peer).
    username: Option<String>,
    amr: Vec<String>,
    roles: Vec<String>,
}

/// `GET /api/me`: who the token (or API key) belongs to. An API key carries
/// no authentication methods and no roles: it stands for its user, not for a
/// login. A token carries its username (`preferred_username`), so the route
/// answers from the token alone, store or no store; for an API key the name
/// comes from the store once, then from memory.
#[require_auth]
async fn me(State(state): State<DemoState>, caller: Caller) -> Result<Json<Me>, ApiError> {
    let from_token = match &caller {
        Caller::Bearer(user) => Some(user.access_claims().preferred_username.clone()),
        Caller::ApiKey(_) => None,
    };
    let username = match (from_token, state.usernames.get(caller.subject())) {
        (Some(from_token), _) => from_token,
        (None, Some(name)) => Some(name.to_string()),
        (None, None) => {
            let account = state
                .auth
                .users()
                .user_by_id(caller.subject())
                .await
                .map_err(|error| ApiError::from(error).realm(REALM))?;
            if let Some(account) = &account {
                state.usernames.remember(&account.id, &account.username);
            }
            account.map(|user| user.username)
        }
    };
    let (amr, roles) = match &caller {
        Caller::Bearer(user) => (user.amr().to_vec(), user.roles().to_vec()),
        Caller::ApiKey(_) => (Vec::new(), Vec::new()),
    };
    tracing::debug!(user_id = caller.subject(), via = caller.via(), "me");
    Ok(Json(Me {
        sub: caller.subject().to_owned(),
        username,
        amr,
        roles,
    }))
}

#[derive(Serialize)]
struct Subject {
    sub: String,
}

/// `GET /api/secure`: only after a second factor (401 with the RFC 9470
/// challenge otherwise).
#[require_auth(mfa)]
async fn secure(user: AuthUser) -> Json<Subject> {
    Json(Subject {
        sub: user.subject().to_owned(),
    })
}

#[derive(Serialize)]
struct Recent {
    sub: String,
    auth_time: Option<i64>,
}

/// `GET /api/recent`: only within `AUTH_DEMO_STEP_UP_MAX_AGE` seconds of a
/// login (401 with RFC 9470's `max_age` otherwise). The maximum is read at
/// run time, so the check is `AuthUser::meets` rather than the macro's
/// `max_age = …`, which takes a literal.
#[require_auth]
async fn recent(State(state): State<DemoState>, user: AuthUser) -> Result<Json<Recent>, ApiError> {
    user.meets(&Requirement::RecentAuth(state.step_up_max_age.as_secs()))
        .map_err(|error| ApiError::from(error).realm(REALM))?;
    Ok(Json(Recent {
        sub: user.subject().to_owned(),
        auth_time: user.access_claims().authenticated_at(),
    }))
}

#[derive(Serialize)]
struct Admin {
    admin: bool,
}

/// `GET /api/admin`: only with the `admin` role.
#[require_auth(roles = ["admin"])]
async fn admin() -> Json<Admin> {
    Json(Admin { admin: true })
}

#[derive(Serialize)]
struct KeyEcho {
    sub: String,
    via: &'static str,
}

/// `GET /api/key-echo`: which credential the request came with.
#[require_auth]
async fn key_echo(caller: Caller) -> Json<KeyEcho> {
    Json(KeyEcho {
        sub: caller.subject().to_owned(),
        via: caller.via(),
    })
}

/// `GET /.well-known/jwks.json`: the public verification keys (none for HS256).
async fn jwks(State(state): State<DemoState>) -> Response {
    let set = state.auth.issuer().keys().jwks();
    ([(CACHE_CONTROL, "public, max-age=300")], Json(set)).into_response()
}

/// `GET /healthz`.
async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// `/auth/oidc/*` while no provider is configured.
pub(crate) async fn oidc_not_configured() -> Response {
    not_found_because("no external login provider is configured")
}

/// Any other path: 404 in the API's error shape.
pub(crate) async fn not_found() -> Response {
    not_found_because("there is nothing at this address")
}

fn not_found_because(description: &'static str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(serde_json::json!({"error": "not_found", "error_description": description})),
    )
        .into_response()
}
