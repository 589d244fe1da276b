//! A TCP relay between a store and its database, which the test can cut and
//! restore as a network outage or a database restart would, without
//! stopping the database that other tests share.
//!
//! Used by the PostgreSQL store and sync tests of auth-core, and by the
//! outage test of the examples (`tests/outage/main.rs`, through
//! `#[path]`): it needs nothing but Tokio.

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// A relay listening on `127.0.0.1:port`, forwarding each connection to
/// `target` (`host:port`).
pub(crate) struct Relay {
    /// The port it listens on; point the store at it with [`via`].
    pub(crate) port: u16,
    target: String,
    task: JoinHandle<()>,
}

impl Relay {
    /// Starts relaying from `port` (0: any free port) to `target`.
    pub(crate) async fn start(port: u16, target: String) -> Relay {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(relay(listener, target.clone()));
        Relay { port, target, task }
    }

    /// Cuts every connection and stops listening; returns what restarts it
    /// (`Relay::start(port, target)`), on the same port.
    pub(crate) async fn stop(self) -> (u16, String) {
        // Dropping the accept task drops its `JoinSet`, which aborts every
        // connection task and so closes both ends of each connection.
        self.task.abort();
        let _ = self.task.await;
        (self.port, self.target)
    }
}

/// Accepts connections on `listener` and copies each both ways to a new
/// connection to `target`, until aborted.
async fn relay(listener: TcpListener, target: String) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            continue;
        };
        let target = target.clone();
        connections.spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(&target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
        while connections.try_join_next().is_some() {}
    }
}

/// `url` with its host and port replaced by `127.0.0.1:port`: the same
/// database, reached through the relay on `port`.
pub(crate) fn via(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let user = authority
        .rsplit_once('@')
        .map(|(user, _)| format!("{user}@"))
        .unwrap_or_default();
    format!("{scheme}://{user}127.0.0.1:{port}{tail}")
}
