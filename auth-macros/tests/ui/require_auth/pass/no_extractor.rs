//! A handler with no parameters of its own: the guard is its only extractor.
#![deny(warnings)]

use auth_middleware::auth_core::{Algorithm, KeySet, TokenIssuer};
use auth_middleware::{AuthLayer, require_auth};
use axum::Router;
use axum::routing::get;

#[require_auth(roles = ["admin"])]
async fn admin() -> &'static str {
    "welcome"
}

fn main() {
    let tokens = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://id.example",
        "api",
    );
    let _app: Router = Router::new()
        .route("/admin", get(admin))
        .layer(AuthLayer::bearer(tokens.verifier()));
}
