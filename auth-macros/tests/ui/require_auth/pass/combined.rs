//! Every kind of argument at once, through the full macro path.
#![deny(warnings)]

use auth_middleware::AuthLayer;
use auth_middleware::auth_core::{Algorithm, KeySet, TokenIssuer};
use axum::Router;
use axum::routing::delete;

#[auth_middleware::require_auth(mfa, roles = ["admin"], scopes = ["users:delete"], any(roles = ["owner"], scopes = ["support"]))]
async fn delete_user() -> axum::http::StatusCode {
    axum::http::StatusCode::NO_CONTENT
}

fn main() {
    let tokens = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://id.example",
        "api",
    );
    let _app: Router = Router::new()
        .route("/users/1", delete(delete_user))
        .layer(AuthLayer::bearer(tokens.verifier()));
}
