//! The gRPC example server: generates a signing key, prints two sample
//! access tokens (a user and an admin), and serves `greeter.Greeter` and
//! `greeter.Admin` on 127.0.0.1:50051 (`GRPC_EXAMPLE_ADDR` to change it)
//! until Ctrl-C.
use auth_core::{Algorithm, KeySet, TokenIssuer, TokenRequest};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keys = KeySet::generate(Algorithm::EdDSA)?;
    let tokens = TokenIssuer::new(keys, "http://127.0.0.1:50051", "grpc-example");
    let user = tokens.issue(&TokenRequest::new("user-1"))?;
    let admin = tokens.issue(&TokenRequest::new("admin-1").roles(["admin"]))?;

    let addr = std::env::var("GRPC_EXAMPLE_ADDR").unwrap_or_else(|_| "127.0.0.1:50051".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("user access token: {}", user.access_token);
    println!("admin access token: {}", admin.access_token);
    println!("listening on http://{}", listener.local_addr()?);
    let shutdown = async {
        // An error here means no Ctrl-C can come: serve until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    grpc_example::serve(listener, tokens.verifier(), shutdown).await?;
    Ok(())
}
