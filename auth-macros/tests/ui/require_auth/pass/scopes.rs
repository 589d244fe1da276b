//! `scopes = [...]`, including RFC 6749 punctuation in a scope.
#![deny(warnings)]

use auth_middleware::auth_core::{Algorithm, KeySet, TokenIssuer};
use auth_middleware::{AuthLayer, require_auth};
use axum::Router;
use axum::routing::get;

#[require_auth(scopes = ["orders:read", "https://api.example/orders.write"])]
async fn orders() -> &'static str {
    "orders"
}

fn main() {
    let tokens = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://id.example",
        "api",
    );
    let _app: Router = Router::new()
        .route("/orders", get(orders))
        .layer(AuthLayer::bearer(tokens.verifier()));
}
