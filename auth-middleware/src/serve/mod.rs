//! [`serve`]: run an axum app on a TCP listener with the limits a public
//! server needs (feature `serve`).
//!
//! `axum::serve` reads request heads and bodies for as long as a client cares
//! to take, so a few thousand slow or half-open connections exhaust a server's
//! file descriptors. [`serve`] closes a connection that has not sent a complete
//! request head within 10 s, an idle keep-alive connection after 60 s, fails a
//! request body that has not arrived within 30 s, and serves at most 10 000
//! connections at once ([`ServeLimits`]). It also gives every request its
//! client address (axum's `ConnectInfo<SocketAddr>`), which per-client
//! throttling and [`Client`](crate::Client) read.
//!
//! ```no_run
//! use auth_middleware::serve::{ServeLimits, serve};
//! use axum::{Router, routing::get};
//!
//! # async fn run() -> std::io::Result<()> {
//! let app = Router::new().route("/healthz", get(|| async { "ok" }));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! serve(listener, app)
//!     .limits(ServeLimits::default())
//!     .with_graceful_shutdown(async { /* a shutdown signal */ })
//!     .await
//! # }
//! ```

mod body;
mod clock;
mod limits;

use std::convert::Infallible;
use std::future::{Future, IntoFuture, Pending};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tower_service::Service as _;

pub use body::BodyTimeout;
pub use limits::ServeLimits;

use body::{DeadlineBody, Finishing};
use clock::{ConnectionClock, InFlight, WatchedIo};

/// Serves `app` on `listener` with the default [`ServeLimits`]; await the
/// returned [`Serve`] (after setting limits or a shutdown signal) to run it.
pub fn serve(listener: TcpListener, app: Router) -> Serve<Pending<()>> {
    Serve {
        listener,
        app,
        limits: ServeLimits::default(),
        shutdown: std::future::pending(),
    }
}

/// A server being set up; see [`serve`]. Awaiting it serves until the
/// shutdown signal resolves (never, without one), then lets the requests in
/// flight finish and returns.
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve<S> {
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    shutdown: S,
}

impl<S> std::fmt::Debug for Serve<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl<S> Serve<S> {
    /// The limits to hold connections to.
    pub fn limits(mut self, limits: ServeLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Stops accepting when `signal` resolves; requests in flight finish,
    /// idle connections close.
    pub fn with_graceful_shutdown<G>(self, signal: G) -> Serve<G>
    where
        G: Future<Output = ()> + Send + 'static,
    {
        Serve {
            listener: self.listener,
            app: self.app,
            limits: self.limits,
            shutdown: signal,
        }
    }
}

impl<S> IntoFuture for Serve<S>
where
    S: Future<Output = ()> + Send + 'static,
{
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(run(self))
    }
}

/// How long to wait before accepting again after an error (the process is
/// out of file descriptors, say), instead of spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

async fn run<S: Future<Output = ()> + Send + 'static>(serve: Serve<S>) -> io::Result<()> {
    let Serve {
        listener,
        app,
        limits,
        shutdown,
    } = serve;
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    // Every connection task holds a sender; once they are all gone, every
    // connection has ended.
    let (alive, mut ended) = mpsc::channel::<Infallible>(1);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accepting a connection failed; retrying shortly");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let (app, stopping, alive) = (app.clone(), stopping.clone(), alive.clone());
        tokio::spawn(async move {
            serve_connection(stream, remote, app, limits, stopping).await;
            drop((slot, alive));
        });
    }
    let _ = stop.send(true);
    drop(alive);
    let _ = ended.recv().await;
    Ok(())
}

/// Serves one connection until the client closes it, it runs past a limit,
/// or the server stops (then it finishes the request in flight first).
async fn serve_connection(
    stream: TcpStream,
    remote: SocketAddr,
    app: Router,
    limits: ServeLimits,
    mut stopping: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let clock = Arc::new(ConnectionClock::default());
    let io = TokioIo::new(WatchedIo::new(stream, Arc::clone(&clock)));
    let service = {
        let clock = Arc::clone(&clock);
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let in_flight = InFlight::start(&clock);
            let mut app = app.clone();
            let mut request: Request<DeadlineBody<Incoming>> =
                request.map(|body| DeadlineBody::new(body, limits.body));
            request.extensions_mut().insert(ConnectInfo(remote));
            async move {
                let response = match app.call(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                Ok::<_, Infallible>(response.map(|body| Body::new(Finishing::new(body, in_flight))))
            }
        })
    };
    let connection = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => log_end(result),
        () = clock.expired(limits) => {
            // Past a limit with no request in flight: dropping the
            // connection closes the socket, nothing is cut short.
            tracing::debug!(client = %remote, "connection closed: past its time limit");
        }
        () = stopped(&mut stopping) => {
            connection.as_mut().graceful_shutdown();
            tokio::select! {
                result = connection.as_mut() => log_end(result),
                () = clock.expired(limits) => {}
            }
        }
    }
}

/// Resolves once the server is stopping.
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    while !*stopping.borrow_and_update() {
        if stopping.changed().await.is_err() {
            return;
        }
    }
}

fn log_end(result: hyper::Result<()>) {
    if let Err(error) = result {
        tracing::debug!(%error, "connection ended with an error");
    }
}
