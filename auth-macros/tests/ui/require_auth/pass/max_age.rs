//! `#[require_auth(max_age = 300)]`, alone and with MFA.
#![deny(warnings)]

use auth_middleware::auth_core::{Algorithm, KeySet, TokenIssuer};
use auth_middleware::{AuthLayer, AuthUser, require_auth};
use axum::Router;
use axum::routing::post;

#[require_auth(max_age = 300)]
async fn new_key(user: AuthUser) -> String {
    format!("a key for {}", user.subject())
}

#[require_auth(mfa, max_age = 60)]
async fn delete_account() -> &'static str {
    "gone"
}

fn main() {
    let tokens = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://id.example",
        "api",
    );
    let _app: Router = Router::new()
        .route("/keys", post(new_key))
        .route("/account/delete", post(delete_account))
        .layer(AuthLayer::bearer(tokens.verifier()));
}
