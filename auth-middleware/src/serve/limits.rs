//! [`ServeLimits`]: how long a client may take, and how many may connect.

use std::time::Duration;

/// The limits [`serve`](super::serve) holds every connection to, so that slow
/// or half-open clients cannot exhaust a server:
///
/// | limit | default | a client past it |
/// |---|---|---|
/// | [`head`](Self::head) | 10 s | has its connection closed: no complete request head within this long of connecting, or of the first byte of a later request |
/// | [`idle`](Self::idle) | 60 s | has its keep-alive connection closed: idle that long between requests |
/// | [`body`](Self::body) | 30 s | gets an error reading the request body (the handler answers 400, and the connection closes): the body must have arrived within this long of its head |
/// | [`max_connections`](Self::max_connections) | 10 000 | waits in the listen backlog until a connection ends |
///
/// ```
/// use std::time::Duration;
/// use auth_middleware::serve::ServeLimits;
///
/// let limits = ServeLimits::default().idle(Duration::from_secs(15)).max_connections(2_000);
/// assert_eq!(limits.head_timeout(), Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    pub(super) head: Duration,
    pub(super) idle: Duration,
    pub(super) body: Duration,
    pub(super) max_connections: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            head: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            body: Duration::from_secs(30),
            max_connections: 10_000,
        }
    }
}

impl ServeLimits {
    /// How long a client has to send a complete request head.
    #[must_use]
    pub fn head(mut self, timeout: Duration) -> Self {
        self.head = timeout;
        self
    }

    /// How long a keep-alive connection may stay idle between requests.
    #[must_use]
    pub fn idle(mut self, timeout: Duration) -> Self {
        self.idle = timeout;
        self
    }

    /// How long a request body may take to arrive, from its head.
    #[must_use]
    pub fn body(mut self, timeout: Duration) -> Self {
        self.body = timeout;
        self
    }

    /// How many connections are served at once (at least 1); further clients
    /// wait in the listen backlog.
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// The request-head timeout.
    pub fn head_timeout(&self) -> Duration {
        self.head
    }

    /// The idle keep-alive timeout.
    pub fn idle_timeout(&self) -> Duration {
        self.idle
    }

    /// The request-body timeout.
    pub fn body_timeout(&self) -> Duration {
        self.body
    }

    /// The connection limit.
    pub fn connection_limit(&self) -> usize {
        self.max_connections
    }
}
