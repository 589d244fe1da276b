//! `auth-demo`, the reference app (its README states the contract): the JSON flows of
//! `auth-middleware`'s [`AuthRoutes`](auth_middleware::AuthRoutes) under
//! `/auth`, a few protected API routes, and a small server-rendered site that
//! keeps its session in cookies.
//!
//! ```no_run
//! # async fn run() -> Result<(), auth_demo::Error> {
//! use auth_demo::{App, Config};
//!
//! let config = Config::from_env()?;
//! let app = App::build(&config).await?;
//! let listener = tokio::net::TcpListener::bind(config.addr).await.unwrap();
//! app.serve(listener).await
//! # }
//! ```
//!
//! The parts, one file each: [`config`] reads the environment, `app`
//! assembles keys, authenticator and router, `store` connects the store of
//! `AUTH_DEMO_STORE` and keeps this instance's views in step with it,
//! `usernames` remembers names for `/api/me`, `api` holds the JSON routes
//! outside `/auth`, `pages` the HTML site, `origin` the cross-site check,
//! `logging` the tracing setup.

mod api;
mod app;
pub mod config;
mod html;
mod logging;
mod origin;
mod pages;
mod store;
#[cfg(test)]
mod tests;
mod usernames;

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use auth_middleware::serve::ServeLimits;

pub use app::App;
pub use config::Config;

/// Why the app could not start or stopped.
///
/// Every message is one line, starts with the variable to fix where there is
/// one, and holds no secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A variable's value is unusable.
    #[error("{variable}: {reason}")]
    Config {
        /// The variable at fault.
        variable: &'static str,
        /// What is wrong with it, and what would be right.
        reason: String,
    },
    /// Setting up what a variable names failed (keys, store).
    #[error("{variable}: {source}")]
    Setup {
        /// The variable naming what failed.
        variable: &'static str,
        /// What the library said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The listen address could not be bound.
    #[error("{}: cannot listen on {addr}: {source}", config::ADDR)]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("the server stopped: {0}")]
    Serve(#[source] std::io::Error),
}

/// The binary's `main`: reads the configuration, starts the app, prints
/// `auth-demo listening on http://ADDR` on stdout once it accepts connections,
/// and serves until ctrl-c or SIGTERM.
///
/// Anything wrong at start is one line on stderr and a non-zero exit code
/// (2 for configuration, 1 for a failure while serving).
pub async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The one line an operator reads; tracing may not be set up yet.
            eprintln!("auth-demo: {error}");
            match error {
                Error::Serve(_) => ExitCode::FAILURE,
                _ => ExitCode::from(2),
            }
        }
    }
}

/// Starts the app from the process environment and serves until shut down.
pub async fn run() -> Result<(), Error> {
    let config = Config::from_env()?;
    let filter = logging::filter_from_env()?;
    let app = App::build(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| Error::Bind {
            addr: config.addr,
            source,
        })?;
    logging::init(filter, config.log_format);
    app.log_startup(&config);
    app.serve(listener).await
}

impl App {
    /// Serves on `listener` until ctrl-c or SIGTERM, first printing
    /// `auth-demo listening on http://ADDR` (the bound address, so port 0
    /// shows the real port) on stdout.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> Result<(), Error> {
        let addr = listener.local_addr().map_err(Error::Serve)?;
        tracing::info!(%addr, "listening");
        // Test harnesses wait for this exact line. A closed stdout is no
        // reason to stop serving, so a failed write is ignored.
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "auth-demo listening on http://{addr}");
        let _ = stdout.flush();
        drop(stdout);
        // The contract's limits: 10 s for a request head, 60 s idle, 30 s for
        // a body; every request knows its client address.
        auth_middleware::serve::serve(listener, self.into_router())
            .limits(ServeLimits::default())
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(Error::Serve)?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Resolves on ctrl-c, or SIGTERM on unix (what `docker stop` and systemd send).
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No handler could be installed: wait for SIGTERM alone.
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
