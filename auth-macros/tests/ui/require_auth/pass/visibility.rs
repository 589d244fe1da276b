//! The policy type follows the handler's visibility: a `pub` handler in a
//! public module is usable from outside it, private and `pub(crate)` ones
//! stay private, and the generated items raise no lint even under
//! `missing_docs` and `unreachable_pub`.
#![deny(warnings, missing_docs, unreachable_pub)]

use auth_middleware::AuthLayer;
use auth_middleware::auth_core::{Algorithm, KeySet, TokenIssuer};
use axum::Router;
use axum::routing::get;

/// Public handlers.
pub mod api {
    use auth_middleware::require_auth;

    /// A public handler.
    #[require_auth]
    pub async fn public() -> &'static str {
        "public"
    }

    #[require_auth(mfa)]
    pub(crate) async fn crate_only() -> &'static str {
        "crate"
    }

    #[require_auth(roles = ["admin"])]
    async fn private() -> &'static str {
        "private"
    }

    pub(crate) fn router() -> axum::Router {
        axum::Router::new().route("/private", axum::routing::get(private))
    }
}

fn main() {
    let tokens = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://id.example",
        "api",
    );
    let _app: Router = Router::new()
        .route("/public", get(api::public))
        .route("/crate", get(api::crate_only))
        .merge(api::router())
        .layer(AuthLayer::bearer(tokens.verifier()));
}
