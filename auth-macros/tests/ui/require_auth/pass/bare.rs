//! `#[require_auth]` with no arguments, on a handler reading the user.
#![deny(warnings)]

use auth_middleware::auth_core::{Algorithm, KeySet, TokenIssuer};
use auth_middleware::{AuthLayer, AuthUser, require_auth};
use axum::Router;
use axum::routing::get;

#[require_auth]
async fn me(user: AuthUser) -> String {
    format!("hello {}", user.subject())
}

fn main() {
    let tokens = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://id.example",
        "api",
    );
    let _app: Router = Router::new()
        .route("/me", get(me))
        .layer(AuthLayer::bearer(tokens.verifier()));
}
