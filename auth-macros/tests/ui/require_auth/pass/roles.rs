//! `roles = [...]`, with one role and with several (trailing comma too).
#![deny(warnings)]

use auth_middleware::auth_core::{Algorithm, KeySet, TokenIssuer};
use auth_middleware::{AuthLayer, AuthUser, require_auth};
use axum::Router;
use axum::routing::get;

#[require_auth(roles = ["admin"])]
async fn admin(user: AuthUser) -> String {
    user.subject().to_owned()
}

#[require_auth(roles = ["admin", "ops",])]
async fn operations(user: AuthUser) -> String {
    format!("{:?}", user.roles())
}

fn main() {
    let tokens = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://id.example",
        "api",
    );
    let _app: Router = Router::new()
        .route("/admin", get(admin))
        .route("/operations", get(operations))
        .layer(AuthLayer::bearer(tokens.verifier()));
}
