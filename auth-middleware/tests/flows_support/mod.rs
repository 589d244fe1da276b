//! What the flow tests (`flows_*.rs`) share: an app shaped like the reference
//! app (`AuthRoutes` nested at `/auth`, an optional `AuthLayer` with bearer
//! tokens and API keys over everything, pages behind a `RefreshLayer`), driven
//! in process with `tower::ServiceExt::oneshot`.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)] // each test binary uses part of it; a failing helper should panic right there

use std::net::SocketAddr;

use auth_core::flow::FlowConfig;
use auth_core::{Algorithm, Authenticator, KeySet, MemoryStore, PasswordPolicy, TokenIssuer, Totp};
use auth_middleware::{
    AuthLayer, AuthRoutes, AuthUser, Caller, CookieConfig, RefreshLayer, require_auth,
};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::{AppendHeaders, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use http::{HeaderMap, Method, Request};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const REALM: &str = "auth-demo";
pub const ORIGIN: &str = "http://127.0.0.1:3000";
pub const PASSWORD: &str = "correct horse battery";
pub const MAX_FAILURES: u32 = 3;
/// `WWW-Authenticate` of a 401 without an access token.
pub const CHALLENGE: &str = r#"Bearer realm="auth-demo""#;
pub const ATTRIBUTES: &str = "HttpOnly; Secure; SameSite=Strict; Path=/";

pub struct App {
    pub auth: Authenticator,
    pub store: MemoryStore,
    pub router: Router,
}

/// `/api/key-echo`: any credential (`#[require_auth]`), answering who and how.
#[require_auth]
async fn key_echo(caller: Caller) -> Json<Value> {
    Json(json!({"sub": caller.subject(), "via": caller.via()}))
}

/// `/api/me`: a bearer token.
#[require_auth]
async fn me(user: AuthUser) -> Json<Value> {
    Json(json!({"sub": user.subject(), "amr": user.amr(), "roles": user.roles()}))
}

/// `/api/secure`: a token after MFA.
#[require_auth(mfa)]
async fn secure(caller: Caller) -> String {
    caller.subject().to_owned()
}

/// `/account`: a page, anonymous or not.
async fn account(user: Option<AuthUser>) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |user| user.subject().to_owned())
}

/// `/logout-page`: a page that deletes the session cookies itself.
async fn logout_page() -> impl IntoResponse {
    let cookies = CookieConfig::default();
    (
        AppendHeaders([
            (http::header::SET_COOKIE, cookies.clear_access()),
            (http::header::SET_COOKIE, cookies.clear_refresh()),
        ]),
        "bye",
    )
}

impl App {
    pub async fn new() -> App {
        App::with_config(FlowConfig::default()).await
    }

    /// The app with `config` (its `max_failures` set to [`MAX_FAILURES`]).
    pub async fn with_config(config: FlowConfig) -> App {
        let store = MemoryStore::new();
        let keys = KeySet::generate(Algorithm::EdDSA).unwrap();
        let issuer = TokenIssuer::new(keys, ORIGIN, "auth-demo");
        let auth = Authenticator::builder(issuer, store.clone())
            .password_policy(PasswordPolicy::insecure_fast_for_tests())
            .config(config.max_failures(MAX_FAILURES))
            .roles_for_new_user(|name| {
                if name == "admin" {
                    vec!["admin".into()]
                } else {
                    vec![]
                }
            })
            .build()
            .await
            .unwrap();
        let cookies = CookieConfig::for_authenticator(&auth);
        let pages = Router::new()
            .route("/account", get(account))
            .route("/logout-page", get(logout_page))
            .layer(
                AuthLayer::new(auth.verifier())
                    .cookie("__Host-access")
                    .optional()
                    .realm(REALM),
            )
            .layer(RefreshLayer::new(auth.clone(), cookies.clone()));
        let api = Router::new()
            .nest(
                "/auth",
                AuthRoutes::new(auth.clone())
                    .cookies(cookies)
                    .allowed_origin(ORIGIN)
                    .realm(REALM)
                    .into_router(),
            )
            .route("/api/me", get(me))
            .route("/api/secure", get(secure))
            .route("/api/key-echo", get(key_echo))
            .layer(
                AuthLayer::new(auth.verifier())
                    .bearer_header()
                    .api_key_header(store.clone())
                    .optional()
                    .realm(REALM),
            );
        App {
            auth,
            store,
            router: api.merge(pages),
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: body.collect().await.unwrap().to_bytes().to_vec(),
        }
    }

    /// A POST of `body` as JSON, with `headers`.
    pub async fn post(&self, path: &str, headers: &[(&str, &str)], body: Value) -> Reply {
        let mut request =
            builder(Method::POST, path, headers).header("content-type", "application/json");
        if let Some(address) = client_address(headers) {
            request = request.extension(ConnectInfo(address));
        }
        self.send(request.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// A request without a body.
    pub async fn call(&self, method: Method, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send(builder(method, path, headers).body(Body::empty()).unwrap())
            .await
    }

    pub async fn register(&self, username: &str) -> String {
        let reply = self
            .post(
                "/auth/register",
                &[],
                json!({"username": username, "password": PASSWORD}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        reply.json()["user_id"].as_str().unwrap().to_owned()
    }

    /// Registers `username` and logs in: the session.
    pub async fn session(&self, username: &str) -> Session {
        let user_id = self.register(username).await;
        let mut session = self.login(username).await;
        session.user_id = user_id;
        session
    }

    /// Logs in (no second factor) and returns the session.
    pub async fn login(&self, username: &str) -> Session {
        let reply = self
            .post(
                "/auth/login",
                &[],
                json!({"username": username, "password": PASSWORD}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        Session {
            user_id: String::new(),
            access: reply.json()["access_token"].as_str().unwrap().to_owned(),
            refresh: reply.cookie("__Host-refresh").unwrap(),
        }
    }

    /// A TOTP code for the base32 `secret`, now (or `steps` time steps off).
    pub fn totp_code(&self, secret: &str, steps: i64) -> String {
        let secret = auth_core::mfa::TotpSecret::from_base32(secret).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        Totp::issuer("x")
            .code_at(secret.as_bytes(), now + steps * 30)
            .unwrap()
            .to_string()
    }

    /// A six-digit code that no step near now accepts for `secret`.
    pub fn wrong_code(&self, secret: &str) -> String {
        let near: Vec<String> = (-3..=3)
            .map(|steps| self.totp_code(secret, steps))
            .collect();
        (0..10)
            .map(|digit| digit.to_string().repeat(6))
            .find(|candidate| !near.contains(candidate))
            .unwrap()
    }
}

/// A test-only header naming the client address (turned into `ConnectInfo`).
pub const CLIENT: &str = "x-test-client";

fn client_address(headers: &[(&str, &str)]) -> Option<SocketAddr> {
    headers
        .iter()
        .find(|(name, _)| *name == CLIENT)
        .map(|(_, value)| value.parse().unwrap())
}

fn builder(method: Method, path: &str, headers: &[(&str, &str)]) -> http::request::Builder {
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        if *name != CLIENT {
            builder = builder.header(*name, *value);
        }
    }
    builder
}

pub struct Session {
    pub user_id: String,
    pub access: String,
    pub refresh: String,
}

impl Session {
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.access)
    }

    pub fn refresh_cookie(&self) -> String {
        format!("__Host-refresh={}", self.refresh)
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.text()))
    }

    /// Every `Set-Cookie` value.
    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    /// The whole `Set-Cookie` value for cookie `name`, if set.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        let prefix = format!("{name}=");
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&prefix))
    }

    /// The value `Set-Cookie` gives cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let set = self.set_cookie(name)?;
        let value = set.strip_prefix(name)?.strip_prefix('=')?;
        Some(value.split(';').next().unwrap().to_owned())
    }

    /// An error answer: status, JSON `{"error","error_description"}`, no caching.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.header("content-type"), Some("application/json"));
        assert_eq!(self.header("cache-control"), Some("no-store"));
        let body = self.json();
        assert_eq!(body["error"], code, "{body}");
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{body}"
        );
        if status == 401 {
            assert!(
                self.header("www-authenticate")
                    .is_some_and(|c| c.starts_with(CHALLENGE)),
                "every 401 carries a challenge: {:?}",
                self.header("www-authenticate")
            );
        }
    }

    /// A token response: the access token in the body, the refresh token in
    /// its cookie only.
    #[track_caller]
    pub fn assert_tokens(&self) {
        assert_eq!(self.status, 200, "{}", self.text());
        assert_eq!(self.header("cache-control"), Some("no-store"));
        let body = self.json();
        assert_eq!(body["token_type"], "Bearer");
        assert!(
            body["access_token"]
                .as_str()
                .is_some_and(|t| t.split('.').count() == 3)
        );
        assert!(body["expires_in"].as_u64().is_some_and(|s| s > 0));
        assert_eq!(body.as_object().unwrap().len(), 3, "nothing else: {body}");
        let refresh = self.cookie("__Host-refresh").expect("a refresh cookie");
        assert!(
            !self.text().contains(&refresh),
            "the refresh token stays out of the body"
        );
        assert_eq!(
            self.set_cookie("__Host-refresh").unwrap(),
            format!("__Host-refresh={refresh}; {ATTRIBUTES}; Max-Age=1209600")
        );
    }
}
