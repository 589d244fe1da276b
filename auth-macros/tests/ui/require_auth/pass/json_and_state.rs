//! Handlers with `State`, patterns such as `Json(body): Json<T>`, several
//! extractors, `impl IntoResponse` and `Result` returns, attributes and docs.
#![deny(warnings)]

use auth_middleware::auth_core::{Algorithm, KeySet, TokenIssuer};
use auth_middleware::{AuthLayer, AuthUser, require_auth};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Clone)]
struct AppState {
    currency: &'static str,
}

#[derive(Deserialize)]
struct Payment {
    cents: u64,
}

#[derive(Serialize)]
struct Receipt {
    payer: String,
    cents: u64,
    currency: &'static str,
}

/// Pays; docs and attributes on the handler stay.
#[require_auth(mfa)]
#[allow(clippy::unused_async)]
async fn pay(
    State(state): State<AppState>,
    user: AuthUser,
    Json(payment): Json<Payment>,
) -> impl IntoResponse {
    let receipt = Receipt {
        payer: user.subject().to_owned(),
        cents: payment.cents,
        currency: state.currency,
    };
    (StatusCode::CREATED, Json(receipt))
}

#[require_auth(roles = ["admin"])]
async fn refund(
    Path(id): Path<u32>,
    State(_): State<AppState>,
    Json(Payment { cents }): Json<Payment>,
) -> Result<String, (StatusCode, &'static str)> {
    if cents == 0 {
        Err((StatusCode::BAD_REQUEST, "nothing to refund"))
    } else {
        Ok(format!("refunded {cents} on {id}"))
    }
}

fn main() {
    let tokens = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://id.example",
        "api",
    );
    let _app: Router = Router::new()
        .route("/pay", post(pay))
        .route("/refund/{id}", post(refund))
        .with_state(AppState { currency: "EUR" })
        .layer(AuthLayer::bearer(tokens.verifier()));
}
