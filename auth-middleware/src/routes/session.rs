//! `POST /refresh`, `POST /logout`, `POST /logout-all`.

use axum::extract::State;
use axum::response::IntoResponse;
use http::HeaderMap;
use http::header::SET_COOKIE;

use super::Routes;
use super::reply::{Reply, no_content_clearing_cookies, tokens};
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
