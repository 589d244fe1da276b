//! `#[require_auth(mfa)]`.
#![deny(warnings)]

use auth_middleware::auth_core::{Algorithm, KeySet, TokenIssuer};
use auth_middleware::{AuthLayer, AuthUser, require_auth};
use axum::Router;
use axum::routing::post;

#[require_auth(mfa)]
async fn billing(user: AuthUser) -> String {
    format!("{} passed mfa: {}", user.subject(), user.is_mfa())
}

fn main() {
    let tokens = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://id.example",
        "api",
    );
    let _app: Router = Router::new()
        .route("/billing", post(billing))
        .layer(AuthLayer::bearer(tokens.verifier()));
}
