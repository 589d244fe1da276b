//! Handlers expanded by `#[require_auth]` and `#[derive(Claims)]`, served by
//! an axum `Router` behind a real `AuthLayer` with EdDSA tokens: each form of
//! the attribute answers 200, 401 or 403 with the right challenge.
#![allow(clippy::unwrap_used)] // a failed setup step should fail the test loudly

use auth_middleware::auth_core::{Algorithm, KeySet, TokenIssuer, TokenRequest};
use auth_middleware::{AuthLayer, AuthUser, Claims, require_auth};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{Request, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;

const NO_TOKEN: &str = r#"Bearer realm="api""#;

fn issuer() -> TokenIssuer {
    TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://id.example",
        "api",
    )
}

fn token(tokens: &TokenIssuer, request: TokenRequest) -> String {
    tokens.issue(&request).unwrap().access_token
}

/// What a response says about authorization: status, challenge, body.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    body: String,
}

impl Answer {
    /// The `error` attribute of the challenge, if any.
    fn challenge_error(&self) -> Option<&str> {
        let (_, rest) = self.challenge.as_deref()?.split_once("error=\"")?;
        rest.split_once('"').map(|(error, _)| error)
    }
}

async fn send(
    app: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    json: Option<&str>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match json {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_owned())
        }
        None => Body::empty(),
    };
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|value| value.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap();
    Answer {
        status,
        challenge,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

async fn get_with(app: &Router, uri: &str, token: Option<&str>) -> Answer {
    send(app, "GET", uri, token, None).await
}

#[require_auth]
async fn me(user: AuthUser) -> String {
    format!("hello {}", user.subject())
}

#[require_auth(mfa)]
async fn billing(user: AuthUser) -> String {
    format!("{} passed mfa", user.subject())
}

#[require_auth(max_age = 300)]
async fn new_key(user: AuthUser) -> String {
    format!("{} signed in recently", user.subject())
}

#[require_auth(roles = ["admin"])]
async fn admin() -> &'static str {
    "welcome"
}

#[require_auth(roles = ["admin", "ops"])]
async fn operations() -> &'static str {
    "operations"
}

#[require_auth(scopes = ["orders:read"])]
async fn orders() -> &'static str {
    "orders"
}

#[require_auth(any(roles = ["admin"], scopes = ["billing:write"]))]
async fn refund() -> &'static str {
    "refunded"
}

#[require_auth(mfa, any(all(roles = ["finance"], scopes = ["ledger"]), roles = ["admin"]))]
async fn ledger() -> &'static str {
    "ledger"
}

fn app(tokens: &TokenIssuer) -> Router {
    Router::new()
        .route("/me", get(me))
        .route("/billing", get(billing))
        .route("/keys", post(new_key))
        .route("/admin", get(admin))
        .route("/operations", get(operations))
        .route("/orders", get(orders))
        .route("/refund", get(refund))
        .route("/ledger", get(ledger))
        .layer(AuthLayer::bearer(tokens.verifier()))
}

#[tokio::test]
async fn bare_attribute_admits_any_verified_token() {
    let tokens = issuer();
    let app = app(&tokens);

    let ok = get_with(
        &app,
        "/me",
        Some(&token(&tokens, TokenRequest::new("alice"))),
    )
    .await;
    assert_eq!(
        (ok.status, ok.body.as_str()),
        (StatusCode::OK, "hello alice")
    );

    let missing = get_with(&app, "/me", None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.challenge.as_deref(), Some(NO_TOKEN));

    let forged = get_with(
        &app,
        "/me",
        Some(&token(&issuer(), TokenRequest::new("mallory"))),
    )
    .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert_eq!(forged.challenge_error(), Some("invalid_token"));
}

#[tokio::test]
async fn mfa_needs_mfa_in_amr() {
    let tokens = issuer();
    let app = app(&tokens);

    let with_mfa = token(
        &tokens,
        TokenRequest::new("alice").amr(["pwd", "otp", "mfa"]),
    );
    let ok = get_with(&app, "/billing", Some(&with_mfa)).await;
    assert_eq!(
        (ok.status, ok.body.as_str()),
        (StatusCode::OK, "alice passed mfa")
    );

    let password_only = token(&tokens, TokenRequest::new("alice").amr(["pwd"]));
    let refused = get_with(&app, "/billing", Some(&password_only)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.challenge_error(),
        Some("insufficient_user_authentication")
    );

    assert_eq!(
        get_with(&app, "/billing", None).await.challenge.as_deref(),
        Some(NO_TOKEN)
    );
}

#[tokio::test]
async fn max_age_needs_a_recent_auth_time() {
    let tokens = issuer();
    let app = app(&tokens);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;

    let fresh = token(&tokens, TokenRequest::new("alice").auth_time(now - 10));
    let ok = send(&app, "POST", "/keys", Some(&fresh), None).await;
    assert_eq!(
        (ok.status, ok.body.as_str()),
        (StatusCode::OK, "alice signed in recently")
    );

    // A token refreshed an hour after its login keeps that login's `auth_time`.
    let old = token(&tokens, TokenRequest::new("alice").auth_time(now - 3600));
    let refused = send(&app, "POST", "/keys", Some(&old), None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.challenge_error(),
        Some("insufficient_user_authentication")
    );
    assert!(
        refused
            .challenge
            .as_deref()
            .is_some_and(|c| c.ends_with(", max_age=300")),
        "{refused:?}"
    );
    let anonymous = send(&app, "POST", "/keys", None, None).await;
    assert_eq!(anonymous.challenge.as_deref(), Some(NO_TOKEN));
}

#[tokio::test]
async fn roles_are_all_required() {
    let tokens = issuer();
    let app = app(&tokens);
    let admin_only = token(&tokens, TokenRequest::new("alice").roles(["admin"]));
    let admin_and_ops = token(&tokens, TokenRequest::new("bob").roles(["ops", "admin"]));
    let nobody = token(&tokens, TokenRequest::new("carol").roles(["user"]));

    let ok = get_with(&app, "/admin", Some(&admin_only)).await;
    assert_eq!((ok.status, ok.body.as_str()), (StatusCode::OK, "welcome"));
    assert_eq!(
        get_with(&app, "/operations", Some(&admin_and_ops))
            .await
            .status,
        StatusCode::OK
    );

    for (uri, token) in [("/admin", &nobody), ("/operations", &admin_only)] {
        let refused = get_with(&app, uri, Some(token)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{uri}");
        assert_eq!(
            refused.challenge_error(),
            Some("insufficient_scope"),
            "{uri}"
        );
        // A missing role is not named to the client.
        assert!(
            !refused.challenge.as_deref().unwrap().contains("scope=\""),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn scopes_are_named_in_the_challenge() {
    let tokens = issuer();
    let app = app(&tokens);

    let reader = token(
        &tokens,
        TokenRequest::new("alice").scopes(["profile", "orders:read"]),
    );
    assert_eq!(
        get_with(&app, "/orders", Some(&reader)).await.status,
        StatusCode::OK
    );

    let other = token(&tokens, TokenRequest::new("bob").scopes(["profile"]));
    let refused = get_with(&app, "/orders", Some(&other)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.challenge_error(), Some("insufficient_scope"));
    assert!(
        refused
            .challenge
            .as_deref()
            .unwrap()
            .ends_with(r#"scope="orders:read""#),
        "{refused:?}"
    );
}

#[tokio::test]
async fn any_admits_each_alternative_and_refuses_neither() {
    let tokens = issuer();
    let app = app(&tokens);

    let by_role = token(&tokens, TokenRequest::new("alice").roles(["admin"]));
    let by_scope = token(&tokens, TokenRequest::new("bob").scopes(["billing:write"]));
    let neither = token(
        &tokens,
        TokenRequest::new("carol")
            .roles(["user"])
            .scopes(["billing:read"]),
    );
    assert_eq!(
        get_with(&app, "/refund", Some(&by_role)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get_with(&app, "/refund", Some(&by_scope)).await.status,
        StatusCode::OK
    );

    let refused = get_with(&app, "/refund", Some(&neither)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.challenge_error(), Some("insufficient_scope"));
    assert_eq!(
        get_with(&app, "/refund", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn nested_all_inside_any_needs_every_part_of_its_branch() {
    let tokens = issuer();
    let app = app(&tokens);
    let mfa = ["pwd", "mfa"];

    let finance = token(
        &tokens,
        TokenRequest::new("a")
            .amr(mfa)
            .roles(["finance"])
            .scopes(["ledger"]),
    );
    let admin = token(&tokens, TokenRequest::new("b").amr(mfa).roles(["admin"]));
    assert_eq!(
        get_with(&app, "/ledger", Some(&finance)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get_with(&app, "/ledger", Some(&admin)).await.status,
        StatusCode::OK
    );

    // Half of the `all(...)` branch is not enough.
    let half = token(&tokens, TokenRequest::new("c").amr(mfa).roles(["finance"]));
    let refused = get_with(&app, "/ledger", Some(&half)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.challenge_error(), Some("insufficient_scope"));

    // The top-level `mfa` is required whatever the branch.
    let no_mfa = token(
        &tokens,
        TokenRequest::new("d").amr(["pwd"]).roles(["admin"]),
    );
    let refused = get_with(&app, "/ledger", Some(&no_mfa)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.challenge_error(),
        Some("insufficient_user_authentication")
    );
}

#[derive(Clone)]
struct AppState {
    currency: &'static str,
}

#[derive(Deserialize)]
struct Payment {
    cents: u64,
}

#[derive(Deserialize)]
struct Search {
    page: u32,
}

#[require_auth(mfa)]
async fn pay(
    State(state): State<AppState>,
    user: AuthUser,
    Json(payment): Json<Payment>,
) -> String {
    format!(
        "{} paid {} {}",
        user.subject(),
        payment.cents,
        state.currency
    )
}

#[require_auth]
async fn search(Query(search): Query<Search>) -> String {
    format!("page {}", search.page)
}

/// Behind an optional layer the guard, not the layer, refuses requests
/// without a token: this shows it runs before the handler's own extractors.
fn payments(layer: AuthLayer) -> Router {
    Router::new()
        .route("/pay", post(pay))
        .route("/search", get(search))
        .with_state(AppState { currency: "EUR" })
        .layer(layer)
}

#[tokio::test]
async fn the_guard_refuses_before_the_body_is_parsed() {
    let tokens = issuer();
    let layer = AuthLayer::bearer(tokens.verifier());
    for app in [payments(layer.clone()), payments(layer.clone().optional())] {
        let missing = send(&app, "POST", "/pay", None, Some("{not json")).await;
        assert_eq!(missing.status, StatusCode::UNAUTHORIZED, "{missing:?}");
        assert_eq!(missing.challenge.as_deref(), Some(NO_TOKEN));
    }
    let app = payments(layer.optional());

    let no_mfa = token(&tokens, TokenRequest::new("alice").amr(["pwd"]));
    let refused = send(&app, "POST", "/pay", Some(&no_mfa), Some("{not json")).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.challenge_error(),
        Some("insufficient_user_authentication")
    );

    // Once the guard is satisfied the body extractor runs as usual.
    let mfa = token(&tokens, TokenRequest::new("alice").amr(["pwd", "mfa"]));
    let malformed = send(&app, "POST", "/pay", Some(&mfa), Some("{not json")).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.challenge, None);
    let unprocessable = send(
        &app,
        "POST",
        "/pay",
        Some(&mfa),
        Some(r#"{"cents": "ten"}"#),
    )
    .await;
    assert_eq!(unprocessable.status, StatusCode::UNPROCESSABLE_ENTITY);
    let paid = send(&app, "POST", "/pay", Some(&mfa), Some(r#"{"cents": 250}"#)).await;
    assert_eq!(
        (paid.status, paid.body.as_str()),
        (StatusCode::OK, "alice paid 250 EUR")
    );
}

#[tokio::test]
async fn the_guard_refuses_before_other_parts_extractors() {
    let tokens = issuer();
    let app = payments(AuthLayer::bearer(tokens.verifier()).optional());

    let missing = get_with(&app, "/search?page=abc", None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.challenge.as_deref(), Some(NO_TOKEN));

    let user = token(&tokens, TokenRequest::new("alice"));
    assert_eq!(
        get_with(&app, "/search?page=abc", Some(&user)).await.status,
        StatusCode::BAD_REQUEST
    );
    let ok = get_with(&app, "/search?page=2", Some(&user)).await;
    assert_eq!((ok.status, ok.body.as_str()), (StatusCode::OK, "page 2"));
}

#[tokio::test]
async fn a_guard_without_a_layer_fails_loudly() {
    let app = Router::new().route("/me", get(me));
    let answer = get_with(
        &app,
        "/me",
        Some(&token(&issuer(), TokenRequest::new("alice"))),
    )
    .await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[derive(Claims, Serialize, Deserialize)]
struct MyClaims {
    tenant: String,
    #[claims(roles)]
    #[serde(default)]
    groups: Vec<String>,
}

#[require_auth(roles = ["editor"])]
async fn edit(user: AuthUser<MyClaims>) -> String {
    format!("{} edits for {}", user.subject(), user.claims().tenant)
}

#[tokio::test]
async fn derived_roles_field_decides_role_checks() {
    let tokens = issuer();
    let app = Router::new()
        .route("/edit", post(edit))
        .layer(AuthLayer::bearer(
            tokens.verifier().with_claims::<MyClaims>(),
        ));
    let issue = |request: TokenRequest, groups: &[&str]| {
        let extra = MyClaims {
            tenant: "acme".to_owned(),
            groups: groups.iter().map(|group| (*group).to_owned()).collect(),
        };
        tokens.issue_with(&request, &extra).unwrap().access_token
    };

    let editor = issue(TokenRequest::new("alice"), &["editor"]);
    let ok = send(&app, "POST", "/edit", Some(&editor), None).await;
    assert_eq!(
        (ok.status, ok.body.as_str()),
        (StatusCode::OK, "alice edits for acme")
    );

    // The registered `roles` claim is not what `MyClaims` names as roles.
    let registered_only = issue(TokenRequest::new("bob").roles(["editor"]), &["viewer"]);
    let refused = send(&app, "POST", "/edit", Some(&registered_only), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.challenge_error(), Some("insufficient_scope"));

    assert_eq!(
        send(&app, "POST", "/edit", None, None)
            .await
            .challenge
            .as_deref(),
        Some(NO_TOKEN)
    );
}
