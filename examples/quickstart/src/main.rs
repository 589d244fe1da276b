//! The quickstart: one key, the layer, three handlers with the three macro forms.
//!
//! `cargo run --release --bin quickstart`, then try the printed token:
//! `curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3000/me`
use auth_core::{Algorithm, KeySet, TokenIssuer, TokenRequest};
use auth_middleware::{AuthLayer, AuthUser, require_auth};
use axum::{Router, routing::get};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keys = KeySet::generate(Algorithm::EdDSA)?;
    let tokens = TokenIssuer::new(keys, "http://127.0.0.1:3000", "quickstart");
    let sample = tokens.issue(&TokenRequest::new("user-1").amr(["pwd"]))?;

    let app = Router::new()
        .route("/me", get(me))
        .route("/billing", get(billing))
        .route("/admin", get(admin))
        .layer(AuthLayer::bearer(tokens.verifier()).realm("quickstart"));

    let addr = std::env::var("QUICKSTART_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("sample access token: {}", sample.access_token);
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

#[require_auth]
async fn me(user: AuthUser) -> String {
    format!("hello {}\n", user.subject())
}

#[require_auth(mfa)] // 401 with an RFC 9470 challenge for a password-only token
async fn billing(user: AuthUser) -> String {
    format!("billing for {}\n", user.subject())
}

#[require_auth(roles = ["admin"])] // needs no extractor of its own
async fn admin() -> &'static str {
    "welcome, admin\n"
}
