//! The server-rendered site for people (cookie mode): `/`, `/register`,
//! `/login`, `/mfa`, `/account`, `/logout`, and the passkey buttons' script
//! and routes (see [`passkeys`]).
//!
//! The session lives in the `__Host-access` and `__Host-refresh` cookies of
//! [`CookieConfig`](auth_middleware::CookieConfig). The pages that need a
//! login sit behind a [`RefreshLayer`] (a missing or expired access cookie is
//! renewed from the refresh cookie before the handler runs) and a cookie
//! [`AuthLayer`]; without a session they redirect to `/login`. Every form
//! post from another origin is refused (403) before anything else runs.
//! Pages are plain HTML built with `format!`; every value from outside is
//! escaped with [`Escaped`].

mod account;
mod login;
mod moment;
mod passkeys;
mod register;
mod sessions;

use auth_core::FlowError;
use auth_middleware::{ApiError, AuthLayer, RefreshLayer, Rejection};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, HeaderName, LOCATION, SET_COOKIE,
};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use super::app::{DemoState, REALM};
use super::html::Escaped;
use super::origin::refuse_cross_site;

/// The pages, with their layers.
pub(crate) fn router(state: &DemoState) -> Router<DemoState> {
    let cookies = state.cookies.clone();
    let protected = Router::new()
        .route("/account", get(account::show))
        .route("/account/totp", post(account::enroll))
        .route("/account/totp/confirm", post(account::confirm))
        .route(
            "/account/passkeys/options",
            post(passkeys::registration_options),
        )
        .route("/account/passkeys", post(passkeys::register))
        .route("/account/passkeys/{id}/delete", post(passkeys::delete))
        .route("/account/sessions/{id}/end", post(sessions::end))
        .route("/logout", post(account::logout))
        .layer(
            AuthLayer::new(state.verifier.clone())
                .cookie(cookies.access_name().to_owned())
                .optional()
                .realm(REALM)
                .on_rejection(move |rejection: &Rejection| session_ended(rejection, &cookies)),
        )
        .layer(RefreshLayer::new(state.auth.clone(), state.cookies.clone()));
    Router::new()
        .route("/", get(home))
        .route("/register", get(register::form).post(register::submit))
        .route("/login", get(login::form).post(login::submit))
        .route("/mfa", get(login::mfa_form).post(login::mfa_submit))
        .route("/passkeys.js", get(passkeys::script))
        .route("/login/passkey/options", post(passkeys::sign_in_options))
        .route("/login/passkey", post(passkeys::sign_in))
        .route("/mfa/passkey/options", post(passkeys::second_step_options))
        .route("/mfa/passkey", post(passkeys::second_step))
        .merge(protected)
        .layer(middleware::from_fn_with_state(
            std::sync::Arc::clone(&state.origin),
            refuse_cross_site,
        ))
        .layer(middleware::map_response(page_headers))
}

/// The cookie layer refused an access cookie that neither verifies nor could
/// be refreshed (revoked, signed by a retired key): the session is over. A
/// person gets the login page, with both cookies cleared so that `/login`
/// itself is not refused next; anything else is answered as usual.
fn session_ended(
    rejection: &Rejection,
    cookies: &auth_middleware::CookieConfig,
) -> axum::http::Response<Bytes> {
    if rejection.status() != StatusCode::UNAUTHORIZED {
        return rejection.default_response();
    }
    tracing::info!(
        outcome = "session_ended",
        "page session no longer valid; back to the login page"
    );
    let mut response = axum::http::Response::new(Bytes::new());
    *response.status_mut() = StatusCode::SEE_OTHER;
    let headers = response.headers_mut();
    headers.insert(LOCATION, HeaderValue::from_static("/login"));
    headers.append(SET_COOKIE, cookies.clear_access());
    headers.append(SET_COOKIE, cookies.clear_refresh());
    response
}

/// Headers every page gets: never cached (they show account data), never
/// framed, scripts and requests only from this site's own files (the passkey
/// script; no inline script), forms only to this site.
async fn page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = [
        (CACHE_CONTROL, "no-store"),
        (
            HeaderName::from_static("content-security-policy"),
            "default-src 'none'; script-src 'self'; connect-src 'self'; \
             style-src 'unsafe-inline'; img-src data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (HeaderName::from_static("x-content-type-options"), "nosniff"),
        (HeaderName::from_static("x-frame-options"), "DENY"),
        // Not `no-referrer`: under it a browser sends `Origin: null` on the
        // site's own forms. `same-origin` keeps the real `Origin` on them and
        // sends nothing to other sites.
        (HeaderName::from_static("referrer-policy"), "same-origin"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// `GET /`: what there is to see.
async fn home(axum::extract::State(state): axum::extract::State<DemoState>) -> Html<String> {
    let origin = Escaped(&state.origin);
    layout(
        "auth-demo",
        &format!(
            "<p>The reference app of the auth toolkit: sign in with a password \
             and an authenticator app, or with a passkey, and see your account.</p>\
             <ul><li><a href=\"/register\">Create an account</a></li>\
             <li><a href=\"/login\">Sign in</a></li>\
             <li><a href=\"/account\">Your account</a></li>\
             <li><a href=\"/.well-known/jwks.json\">Public keys (JWKS)</a></li></ul>\
             <h2>From a program</h2>\
             <p>The same flows are a JSON API (a name called <code>admin</code> gets the admin role):</p>\
             <pre>curl -i -X POST {origin}/auth/register \\\n  \
             -H 'content-type: application/json' \\\n  \
             -d '{{\"username\":\"ada\",\"password\":\"correct horse battery\"}}'</pre>"
        ),
    )
}

/// A whole page around `body` (already HTML; its dynamic parts escaped).
pub(crate) fn layout(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · auth-demo</title><style>{STYLE}</style></head>\
         <body><header><a href=\"/\">auth-demo</a></header><main><h1>{title}</h1>{body}</main></body></html>",
        title = Escaped(title),
    ))
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;\
color:#222;line-height:1.5}header a{font-weight:bold;text-decoration:none;color:#555}\
label{display:block;margin:.6rem 0}input{display:block;padding:.4rem;font-size:1rem;width:16rem}\
button{padding:.45rem 1rem;font-size:1rem;margin:.4rem 0}form.inline{display:inline}\
.error{color:#a00;font-weight:bold}.note{color:#555}pre,code{background:#f4f4f4;padding:.1rem .3rem}\
pre{padding:.6rem;overflow-x:auto}ol.codes{font-family:monospace;font-size:1.1rem}\
dt{font-weight:bold}dd{margin:0 0 .5rem}img.qr{width:240px;height:240px;border:1px solid #ddd}";

/// 303 to `to`, the answer to a successful form post (RFC 9110 §15.4.4).
pub(crate) fn see_other(to: &'static str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(LOCATION, HeaderValue::from_static(to))],
    )
        .into_response()
}

/// `page` as the answer to a flow error, with the status and headers of the
/// library's one mapping ([`ApiError`]: 401 with `WWW-Authenticate`, 429 with
/// `Retry-After`, 503 with `Retry-After`, …).
pub(crate) fn error_page(error: FlowError, page: Html<String>) -> Response {
    with_html(ApiError::from(error).realm(REALM).into_response(), page)
}

/// `response`'s status and headers with `page` as the body.
pub(crate) fn with_html(response: Response, page: Html<String>) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Response::from_parts(parts, Body::from(page.0))
}

/// The message for a flow error a person can act on.
pub(crate) fn explain(error: &FlowError) -> String {
    match error {
        FlowError::TooManyAttempts { retry_after } => {
            format!("Too many failed attempts. Please wait {retry_after} seconds and try again.")
        }
        error if error.is_temporary() => {
            "The service is briefly unavailable. Please try again in a moment.".to_owned()
        }
        _ => "Something went wrong on our side. Please try again.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_escapes_the_title() {
        let page = layout("<b>x</b>", "<p>body</p>");
        assert!(page.0.contains("<h1>&lt;b&gt;x&lt;/b&gt;</h1>"));
        assert!(page.0.contains("<p>body</p>"));
    }
}
