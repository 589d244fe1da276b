//! Generic handlers with a where clause, and a handler inside a macro.
#![deny(warnings)]

use auth_middleware::auth_core::{Algorithm, KeySet, TokenIssuer};
use auth_middleware::{AuthLayer, require_auth};
use axum::Router;
use axum::extract::Json;
use axum::routing::post;
use serde::Serialize;
use serde::de::DeserializeOwned;

#[require_auth(scopes = ["echo"])]
async fn echo<T>(Json(value): Json<T>) -> Json<T>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    Json(value)
}

macro_rules! guarded {
    ($name:ident, $role:expr) => {
        #[require_auth(roles = [$role])]
        async fn $name() -> &'static str {
            stringify!($name)
        }
    };
}

guarded!(ops, "ops");

fn main() {
    let tokens = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://id.example",
        "api",
    );
    let _app: Router = Router::new()
        .route("/echo", post(echo::<Vec<u32>>))
        .route("/ops", post(ops))
        .layer(AuthLayer::bearer(tokens.verifier()));
}
