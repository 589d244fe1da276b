//! `GET /{provider}/login` and `GET /{provider}/callback`: login with an
//! external OpenID Connect provider.

use std::sync::Arc;

use auth_core::external::{Callback, LOGIN_TTL, ProviderLogin};
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use http::{HeaderMap, HeaderValue, StatusCode};

use super::Routes;
use super::reply::tokens;
use crate::auth::source::cookie_token;
use crate::routes::error::ApiErrorKind;

/// The cookie that carries a provider's login secret from `/login` to
/// `/callback`. `SameSite=Lax`: the callback is a top-level navigation from
/// the provider's site, which `Strict` would strip the cookie from.
pub(super) fn login_cookie_name(login: &ProviderLogin) -> String {
    format!("__Host-oidc-{}", login.name())
}

fn login_cookie(name: &str, value: &str, max_age: u64) -> Option<HeaderValue> {
    HeaderValue::try_from(format!(
        "{name}={value}; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age={max_age}"
    ))
    .ok()
}

/// 302 to the provider, with the login cookie.
pub(super) async fn login(routes: Routes, login: Arc<ProviderLogin>) -> Response {
    let start = match login.begin(&routes.authenticator).await {
        Ok(start) => start,
        Err(error) => return routes.error(error).into_response(),
    };
    let cookie = login_cookie(
        &login_cookie_name(&login),
        &start.login_secret,
        LOGIN_TTL.as_secs(),
    );
    let (Ok(location), Some(cookie)) = (HeaderValue::try_from(start.authorize_url), cookie) else {
        return routes.error(ApiErrorKind::Internal).into_response();
    };
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(LOCATION, location);
    headers.insert(SET_COOKIE, cookie);
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// 200 token response + refresh cookie; the login cookie is cleared whatever
/// the outcome, since a login state is tried once.
pub(super) async fn callback(
    routes: Routes,
    login: Arc<ProviderLogin>,
    client: auth_core::flow::ClientInfo,
    headers: HeaderMap,
    query: Result<Query<Callback>, QueryRejection>,
) -> Response {
    let cookie_name = login_cookie_name(&login);
    let mut response = match query {
        Err(_) => routes.error(ApiErrorKind::ExternalLogin).into_response(),
        Ok(Query(callback)) => {
            let secret = cookie_token(&headers, &cookie_name).ok().flatten();
            match login
                .finish(&routes.authenticator, callback, secret, client)
                .await
            {
                Ok(done) => {
                    tracing::info!(
                        user = %done.user.id,
                        provider = login.name(),
                        created = done.created,
                        "external login"
                    );
                    tokens(&routes, &done.tokens)
                }
                Err(error) => {
                    tracing::info!(provider = login.name(), %error, "external login refused");
                    routes.error(error).into_response()
                }
            }
        }
    };
    if let Some(clear) = login_cookie(&cookie_name, "", 0) {
        response.headers_mut().append(SET_COOKIE, clear);
    }
    response
}
