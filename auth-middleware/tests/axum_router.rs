//! The layer, `AuthUser` and `Guard` in an axum `Router`.

// Test helpers, outside `#[test]` functions: a failure should panic right there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use auth_core::{Claims, TokenRequest};
use auth_middleware::policy::{Guard, Policy, Requirement};
use auth_middleware::{AuthContext, AuthError, AuthLayer, AuthUser, Rejection};
use axum::body::Body;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use common::{Headers, Reply, Tokens};
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use tower::ServiceExt;

async fn echo(user: Option<AuthUser>) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |user| user.subject().to_owned())
}

async fn me(user: AuthUser) -> String {
    user.subject().to_owned()
}

fn client(router: Router) -> impl AsyncFn(Headers) -> Reply {
    client_for(router, "/me")
}

fn client_for(router: Router, path: &'static str) -> impl AsyncFn(Headers) -> Reply {
    async move |headers| send(&router, Request::get(path), headers, Body::empty()).await
}

async fn send(
    router: &Router,
    mut builder: http::request::Builder,
    headers: Headers,
    body: Body,
) -> Reply {
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let response = router
        .clone()
        .oneshot(builder.body(body).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes().to_vec(),
    }
}

#[tokio::test]
async fn bearer_tokens() {
    let tokens = Tokens::new();
    let router = Router::new().route("/me", get(me)).layer(tokens.layer());
    common::bearer_suite(&tokens, client(router)).await;
}

#[tokio::test]
async fn optional_mode_and_option_extractor() {
    let tokens = Tokens::new();
    let router = Router::new()
        .route("/me", get(echo))
        .layer(tokens.layer().optional());
    common::optional_suite(&tokens, client(router)).await;
}

#[tokio::test]
async fn auth_user_refuses_anonymous_requests_behind_an_optional_layer() {
    let tokens = Tokens::new();
    let router = Router::new()
        .route("/me", get(me))
        .layer(tokens.layer().optional());
    let reply = client(router)(vec![]).await;
    reply.assert_refused(401, common::MISSING_CHALLENGE, "missing_token");
}

#[tokio::test]
async fn cookie_source() {
    let tokens = Tokens::new();
    let router = Router::new()
        .route("/me", get(me))
        .layer(common::cookie_layer(&tokens));
    common::cookie_suite(&tokens, client(router)).await;
}

#[derive(Serialize, Deserialize)]
struct TenantClaims {
    tenant: String,
    groups: Vec<String>,
}

impl Claims for TenantClaims {
    fn roles(&self) -> Option<&[String]> {
        Some(&self.groups)
    }
}

struct Editors;
impl Policy for Editors {
    const REQUIREMENT: Requirement =
        Requirement::All(&[Requirement::Authenticated, Requirement::Role("editor")]);
}

#[tokio::test]
async fn application_claims() {
    let tokens = Tokens::new();
    async fn tenant(_: Guard<Editors>, user: AuthUser<TenantClaims>) -> String {
        format!(
            "{} of {} as {:?}",
            user.subject(),
            user.claims().tenant,
            user.roles()
        )
    }
    let router = Router::new()
        .route("/me", get(tenant))
        .layer(AuthLayer::bearer(
            tokens.issuer.verifier().with_claims::<TenantClaims>(),
        ));
    let claims = |groups: &[&str]| TenantClaims {
        tenant: "acme".into(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    };
    let token = |groups| {
        let request = TokenRequest::new("ada").roles(["editor"]);
        tokens
            .issuer
            .issue_with(&request, &claims(groups))
            .unwrap()
            .access_token
    };
    let send = client(router);

    let editor = send(common::bearer(&token(&["editor"]))).await;
    assert_eq!(
        (editor.status, editor.text()),
        (200, r#"ada of acme as ["editor"]"#)
    );

    let registered_role_only = send(common::bearer(&token(&["viewer"]))).await;
    assert_eq!(
        registered_role_only.status, 403,
        "the roles come from `groups`, not `roles`"
    );
}

#[tokio::test]
async fn extractors_without_a_layer_answer_500() {
    let router: Router = Router::new()
        .route("/me", get(me))
        .route("/maybe", get(echo))
        .route("/guarded", get(async |_: Guard<Editors>| "never"))
        .route("/context", get(async |_: AuthContext| "never"));
    for path in ["/me", "/maybe", "/guarded", "/context"] {
        let reply = client_for(router.clone(), path)(vec![]).await;
        assert_eq!(reply.status, 500, "{path}");
        assert_eq!(reply.json()["error"], "server_error");
        assert_eq!(reply.header("www-authenticate"), None);
    }
}

#[tokio::test]
async fn an_auth_user_of_another_claims_type_answers_500() {
    let tokens = Tokens::new();
    async fn tenant(user: AuthUser<TenantClaims>) -> String {
        user.claims().tenant.clone()
    }
    let router = Router::new()
        .route("/me", get(tenant))
        .layer(tokens.layer());
    let reply = client(router)(common::bearer(&tokens.user("ada"))).await;
    assert_eq!(reply.status, 500);
}

struct AdminOnly;
impl Policy for AdminOnly {
    const REQUIREMENT: Requirement =
        Requirement::All(&[Requirement::Authenticated, Requirement::Role("admin")]);
}

struct ReadReports;
impl Policy for ReadReports {
    const REQUIREMENT: Requirement = Requirement::All(&[
        Requirement::Authenticated,
        Requirement::Scope("reports:read"),
    ]);
}

struct MfaOnly;
impl Policy for MfaOnly {
    const REQUIREMENT: Requirement =
        Requirement::All(&[Requirement::Authenticated, Requirement::Mfa]);
}

struct AdminOrBilling;
impl Policy for AdminOrBilling {
    const REQUIREMENT: Requirement = Requirement::All(&[
        Requirement::Authenticated,
        Requirement::Any(&[
            Requirement::Role("admin"),
            Requirement::Scope("billing:write"),
        ]),
    ]);
}

struct MfaAdmin;
impl Policy for MfaAdmin {
    const REQUIREMENT: Requirement = Requirement::All(&[
        Requirement::Authenticated,
        Requirement::Mfa,
        Requirement::Role("admin"),
    ]);
}

#[derive(Deserialize)]
struct Payment {
    cents: u64,
}

fn guarded_router(layer: AuthLayer) -> Router {
    Router::new()
        .route("/admin", get(async |_: Guard<AdminOnly>| "admin"))
        .route("/reports", get(async |_: Guard<ReadReports>| "reports"))
        .route("/secure", get(async |_: Guard<MfaOnly>| "secure"))
        .route("/billing", get(async |_: Guard<AdminOrBilling>| "billing"))
        .route("/strict", get(async |_: Guard<MfaAdmin>| "strict"))
        .route(
            "/pay",
            post(async |_: Guard<MfaOnly>, Json(payment): Json<Payment>| payment.cents.to_string()),
        )
        .layer(layer)
}

const INSUFFICIENT_SCOPE: &str = r#"Bearer realm="test-realm", error="insufficient_scope", error_description="the access token does not grant access to this resource""#;
const NEEDS_MFA: &str = r#"Bearer realm="test-realm", error="insufficient_user_authentication", error_description="multi-factor authentication is required""#;

#[tokio::test]
async fn guards_answer_401_then_403_with_the_right_challenge() {
    let tokens = Tokens::new();
    // Optional, so that the guards themselves meet requests without a token.
    let router = guarded_router(tokens.layer().optional());
    let get = async |path: &'static str, headers: Headers| {
        client_for(router.clone(), path)(headers).await
    };

    for path in ["/admin", "/reports", "/secure", "/billing", "/strict"] {
        get(path, vec![])
            .await
            .assert_refused(401, common::MISSING_CHALLENGE, "missing_token");
    }

    let plain = common::bearer(&tokens.user("ada"));
    get("/admin", plain.clone()).await.assert_refused(
        403,
        INSUFFICIENT_SCOPE,
        "insufficient_scope",
    );
    get("/reports", plain.clone()).await.assert_refused(
        403,
        r#"Bearer realm="test-realm", error="insufficient_scope", error_description="the access token lacks a required scope", scope="reports:read""#,
        "insufficient_scope",
    );
    get("/secure", plain.clone()).await.assert_refused(
        401,
        NEEDS_MFA,
        "insufficient_user_authentication",
    );
    // `Any` answers with its first failing requirement: the missing role.
    get("/billing", plain.clone()).await.assert_refused(
        403,
        INSUFFICIENT_SCOPE,
        "insufficient_scope",
    );

    let admin =
        common::bearer(&tokens.token(TokenRequest::new("root").roles(["admin"]).amr(["pwd"])));
    assert_eq!(get("/admin", admin.clone()).await.status, 200);
    assert_eq!(get("/billing", admin.clone()).await.status, 200);
    get("/strict", admin.clone()).await.assert_refused(
        401,
        NEEDS_MFA,
        "insufficient_user_authentication",
    );

    let mfa_admin = tokens.token(
        TokenRequest::new("root")
            .roles(["admin"])
            .amr(["pwd", "otp", "mfa"]),
    );
    let strict = get("/strict", common::bearer(&mfa_admin)).await;
    assert_eq!((strict.status, strict.text()), (200, "strict"));

    let mfa_user =
        common::bearer(&tokens.token(TokenRequest::new("ada").amr(["pwd", "otp", "mfa"])));
    assert_eq!(get("/secure", mfa_user.clone()).await.status, 200);
    get("/strict", mfa_user)
        .await
        .assert_refused(403, INSUFFICIENT_SCOPE, "insufficient_scope");

    let biller = common::bearer(
        &tokens.token(TokenRequest::new("ada").scopes(["billing:write", "reports:read"])),
    );
    assert_eq!(get("/billing", biller.clone()).await.status, 200);
    assert_eq!(get("/reports", biller).await.status, 200);
}

#[tokio::test]
async fn guards_run_before_the_body_is_parsed() {
    let tokens = Tokens::new();
    let mfa = tokens.token(TokenRequest::new("ada").amr(["pwd", "otp", "mfa"]));
    let ill_typed = || Body::from(r#"{"cents": "many"}"#);
    let pay = |headers: Headers| {
        let mut headers = headers;
        headers.push(("content-type", "application/json".into()));
        headers
    };
    for layer in [tokens.layer(), tokens.layer().optional()] {
        let router = guarded_router(layer);
        let anonymous = send(&router, Request::post("/pay"), pay(vec![]), ill_typed()).await;
        anonymous.assert_refused(401, common::MISSING_CHALLENGE, "missing_token");

        let no_mfa = send(
            &router,
            Request::post("/pay"),
            pay(common::bearer(&tokens.user("ada"))),
            ill_typed(),
        )
        .await;
        // RFC 9470 §3: a step-up the client can satisfy is a 401.
        assert_eq!(no_mfa.status, 401);

        let body_error = send(
            &router,
            Request::post("/pay"),
            pay(common::bearer(&mfa)),
            ill_typed(),
        )
        .await;
        assert_eq!(
            body_error.status, 422,
            "with the guard passed, the body is judged"
        );

        let paid = send(
            &router,
            Request::post("/pay"),
            pay(common::bearer(&mfa)),
            Body::from(r#"{"cents": 5}"#),
        )
        .await;
        assert_eq!((paid.status, paid.text()), (200, "5"));
    }
}

fn teapot(rejection: &Rejection) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(format!("custom {}", rejection.error().code())));
    *response.status_mut() = StatusCode::IM_A_TEAPOT;
    response
        .headers_mut()
        .insert("x-realm", rejection.realm().parse().unwrap());
    response
}

#[tokio::test]
async fn one_renderer_for_layer_guard_and_extractor_rejections() {
    let tokens = Tokens::new();
    let router = guarded_router(tokens.layer().optional().on_rejection(teapot)).merge(
        Router::new()
            .route("/me", get(me))
            .layer(tokens.layer().optional().on_rejection(teapot)),
    );
    let get = async |path: &'static str, headers: Headers| {
        client_for(router.clone(), path)(headers).await
    };

    let cases = [
        (
            "/admin",
            common::bearer("not-a-jwt"),
            "custom invalid_token",
        ),
        ("/admin", vec![], "custom missing_token"),
        (
            "/admin",
            common::bearer(&tokens.user("ada")),
            "custom insufficient_scope",
        ),
        (
            "/secure",
            common::bearer(&tokens.user("ada")),
            "custom insufficient_user_authentication",
        ),
        ("/me", vec![], "custom missing_token"),
    ];
    for (path, headers, body) in cases {
        let reply = get(path, headers).await;
        assert_eq!((reply.status, reply.text()), (418, body), "{path}");
        assert_eq!(reply.header("x-realm"), Some(common::REALM));
    }
}

#[tokio::test]
async fn own_extractors_reject_through_the_context() {
    let tokens = Tokens::new();
    let staff_only = async |context: AuthContext| match context.subject() {
        Some(subject) if subject.starts_with("staff-") => Ok("staff"),
        Some(_) => Err(context.reject(AuthError::Forbidden)),
        None => Err(context.reject(AuthError::MissingToken)),
    };
    let router = Router::new()
        .route("/me", get(staff_only))
        .layer(tokens.layer().optional().on_rejection(teapot));
    let send = client(router);
    assert_eq!(
        send(common::bearer(&tokens.user("staff-1"))).await.status,
        200
    );
    let refused = send(common::bearer(&tokens.user("ada"))).await;
    assert_eq!(
        (refused.status, refused.text()),
        (418, "custom insufficient_scope")
    );
}
