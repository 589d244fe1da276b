//! `any(...)` and `all(...)`, nested, and `any` repeated at the top level.
#![deny(warnings)]

use auth_middleware::auth_core::{Algorithm, KeySet, TokenIssuer};
use auth_middleware::{AuthLayer, require_auth};
use axum::Router;
use axum::routing::get;

#[require_auth(any(roles = ["admin"], scopes = ["billing:write"]))]
async fn billing() -> &'static str {
    "billing"
}

#[require_auth(any(all(mfa, roles = ["finance"]), roles = ["admin", "auditor"]))]
async fn ledger() -> &'static str {
    "ledger"
}

#[require_auth(all(mfa, any(roles = ["a"], roles = ["b"])), any(scopes = ["x"], scopes = ["y"]))]
async fn both() -> &'static str {
    "both"
}

fn main() {
    let tokens = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://id.example",
        "api",
    );
    let _app: Router = Router::new()
        .route("/billing", get(billing))
        .route("/ledger", get(ledger))
        .route("/both", get(both))
        .layer(AuthLayer::bearer(tokens.verifier()));
}
