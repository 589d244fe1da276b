//! The server and the tokens of `examples/bench/run.sh` (not a test; see its
//! header for what it measures).
//!
//! ```text
//! bench-server serve  --auth none|hs256|eddsa --keys DIR --addr 127.0.0.1:PORT [--cache on|off]
//! bench-server tokens --auth hs256|eddsa      --keys DIR --count N   > tokens.txt
//! ```
//!
//! `serve` answers `GET /hello` with `hello`: without authentication for
//! `none`, else behind `AuthLayer::bearer` with the handler taking the
//! `AuthUser` extractor, so that the layer, the extensions insert and the
//! extractor are all measured; `--cache off` turns the verifier's cache of
//! accepted tokens off, so that every request is verified in full (the cold
//! path). `tokens` prints `N` distinct access tokens
//! (one per line, each with its own `jti`) signed by the key of `DIR`, which
//! `serve` with the same `DIR` accepts for an hour.

use std::time::Duration;

use auth_core::{Algorithm, KeySet, TokenIssuer, TokenRequest};
use auth_middleware::{AuthLayer, AuthUser};
use axum::Router;
use axum::routing::get;

const ISSUER: &str = "https://bench.example";
const AUDIENCE: &str = "bench";
/// Long enough for every run of a benchmark.
const TOKEN_TTL: Duration = Duration::from_secs(3600);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().map(String::as_str).unwrap_or_default();
    let option = |name: &str| -> Result<String, Box<dyn std::error::Error>> {
        args.iter()
            .position(|arg| arg == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .ok_or_else(|| format!("missing {name} VALUE").into())
    };
    let auth = option("--auth")?;
    match command {
        "serve" => {
            let cache = option("--cache").unwrap_or_else(|_| "on".to_owned());
            serve(&auth, &option("--keys")?, &option("--addr")?, &cache).await
        }
        "tokens" => tokens(&auth, &option("--keys")?, option("--count")?.parse()?),
        _ => Err("usage: bench-server serve|tokens --auth none|hs256|eddsa --keys DIR …".into()),
    }
}

fn issuer(auth: &str, keys: &str) -> Result<TokenIssuer, Box<dyn std::error::Error>> {
    let alg = match auth {
        "hs256" => Algorithm::HS256,
        "eddsa" => Algorithm::EdDSA,
        other => return Err(format!("unknown --auth {other}").into()),
    };
    let keys = KeySet::load_or_generate_dir(keys, alg)?;
    Ok(TokenIssuer::new(keys, ISSUER, AUDIENCE).access_ttl(TOKEN_TTL))
}

async fn serve(
    auth: &str,
    keys: &str,
    addr: &str,
    cache: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let app = if auth == "none" {
        Router::new().route("/hello", get(plain))
    } else {
        let verifier = match cache {
            "on" => issuer(auth, keys)?.verifier(),
            "off" => issuer(auth, keys)?.verifier().without_cache(),
            other => return Err(format!("unknown --cache {other}").into()),
        };
        Router::new()
            .route("/hello", get(authenticated))
            .layer(AuthLayer::bearer(verifier))
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!(
        "bench-server ({auth}, cache {cache}) listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}

async fn plain() -> &'static str {
    "hello"
}

async fn authenticated(_user: AuthUser) -> &'static str {
    "hello"
}

fn tokens(auth: &str, keys: &str, count: usize) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write as _;
    let issuer = issuer(auth, keys)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for i in 0..count {
        let token = issuer.issue(&TokenRequest::new(format!("user-{i}")))?;
        writeln!(out, "{}", token.access_token)?;
    }
    out.flush()?;
    Ok(())
}
