//! Logs: `tracing` to stderr, filtered by `RUST_LOG` (default `info`).
//!
//! Every request gets a span with its method and route *template*
//! (`/auth/api-keys/{id}`, never the query string, which could carry an
//! authorization code), and one line when it completes; handlers add events
//! with the user id and the outcome. Passwords, codes and tokens are never
//! logged: handlers log ids and outcomes only.

use std::io::IsTerminal as _;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;
use tracing_subscriber::EnvFilter;

use super::Error;
use super::config::LogFormat;

/// The filter named by `RUST_LOG`, `info` when unset; a filter that does not
/// parse is an error naming `RUST_LOG`.
pub(crate) fn filter_from_env() -> Result<EnvFilter, Error> {
    match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => {
            EnvFilter::try_new(directives).map_err(|_| Error::Config {
                variable: "RUST_LOG",
                reason: "not a tracing filter; try `info`, `warn` or `auth_core=debug,info`".into(),
            })
        }
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(EnvFilter::new("info")),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::Config {
            variable: "RUST_LOG",
            reason: "the value is not valid UTF-8".into(),
        }),
    }
}

/// Sends `tracing` output to stderr (stdout carries only the "listening"
/// line): readable lines, or with [`LogFormat::Json`] one JSON object per
/// line whose fields sit at the top level beside `timestamp` and `level` (so
/// a security event reads `{"timestamp":…,"level":"INFO","event":"login.failed",…}`).
pub(crate) fn init(filter: EnvFilter, format: LogFormat) {
    // Fails only if a subscriber is already set (an embedding program's): keep it.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}

/// Middleware: a span per request and a line with status and duration at the end.
pub(crate) async fn log_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str)
        .to_owned();
    let span = tracing::info_span!("request", method = %request.method(), route = %route);
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_millis();
    span.in_scope(|| {
        if response.status().is_server_error() {
            tracing::warn!(status, elapsed_ms, "request failed");
        } else {
            tracing::info!(status, elapsed_ms, "request done");
        }
    });
    response
}
