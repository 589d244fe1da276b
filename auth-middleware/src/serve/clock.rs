//! What a connection is doing, and when it has taken too long.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::ServeLimits;

/// The phase of one connection, fed by its I/O (bytes read) and by its
/// service (a request dispatched, its response finished).
#[derive(Default)]
pub(super) struct ConnectionClock {
    state: Mutex<State>,
    changed: Notify,
}

struct State {
    /// Requests dispatched whose response is not finished.
    in_flight: usize,
    /// When the connection was accepted or its last response finished.
    idle_since: Instant,
    /// When the first byte of the next request head arrived.
    head_since: Option<Instant>,
    /// Bytes arrived while a request was in flight (a pipelined next head).
    read_during_request: bool,
    /// Whether a request was ever dispatched.
    served: bool,
}

impl Default for State {
    fn default() -> Self {
        State {
            in_flight: 0,
            idle_since: Instant::now(),
            head_since: None,
            read_during_request: false,
            served: false,
        }
    }
}

impl ConnectionClock {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn read(&self) {
        let mut state = self.state();
        if state.in_flight > 0 {
            state.read_during_request = true;
        } else if state.head_since.is_none() {
            // The first request's head counts from the connection's start: a
            // byte now and then must not keep a silent connection open.
            let since = if state.served {
                Instant::now()
            } else {
                state.idle_since
            };
            state.head_since = Some(since);
            drop(state);
            self.changed.notify_one();
        }
    }

    fn request_started(&self) {
        let mut state = self.state();
        state.in_flight += 1;
        state.head_since = None;
        state.served = true;
        drop(state);
        self.changed.notify_one();
    }

    fn request_finished(&self) {
        let mut state = self.state();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            let now = Instant::now();
            state.idle_since = now;
            if std::mem::take(&mut state.read_during_request) {
                state.head_since = Some(now);
            }
        }
        drop(state);
        self.changed.notify_one();
    }

    /// When the connection must be closed if nothing changes: a request head
    /// must be complete `head` after its first byte (or, for a connection
    /// that never sent a request, after it was accepted); an idle keep-alive
    /// connection may wait `idle`; a connection with a request in flight has
    /// no deadline (its body has one of its own).
    fn deadline(&self, limits: &ServeLimits) -> Option<Instant> {
        let state = self.state();
        if state.in_flight > 0 {
            return None;
        }
        Some(match state.head_since {
            Some(since) => since + limits.head,
            None if !state.served => state.idle_since + limits.head,
            None => state.idle_since + limits.idle,
        })
    }

    /// Resolves once the connection is past its deadline.
    pub(super) async fn expired(&self, limits: ServeLimits) {
        loop {
            let changed = self.changed.notified();
            match self.deadline(&limits) {
                Some(deadline) if deadline <= Instant::now() => return,
                Some(deadline) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => {}
                        () = changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }
}

/// Marks one request in flight until it is dropped: with the response body
/// once hyper has written it, or with the request's future if it never
/// produced one.
pub(super) struct InFlight(Arc<ConnectionClock>);

impl InFlight {
    pub(super) fn start(clock: &Arc<ConnectionClock>) -> Self {
        clock.request_started();
        InFlight(Arc::clone(clock))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

pin_project_lite::pin_project! {
    /// A connection's socket, telling its clock when bytes arrive.
    pub(super) struct WatchedIo<T> {
        #[pin]
        inner: T,
        clock: Arc<ConnectionClock>,
    }
}

impl<T> WatchedIo<T> {
    pub(super) fn new(inner: T, clock: Arc<ConnectionClock>) -> Self {
        WatchedIo { inner, clock }
    }
}

impl<T: AsyncRead> AsyncRead for WatchedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let before = buf.filled().len();
        let polled = this.inner.poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.clock.read();
        }
        polled
    }
}

impl<T: AsyncWrite> AsyncWrite for WatchedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limits() -> ServeLimits {
        ServeLimits::default()
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_connection_has_the_head_timeout() {
        let clock = ConnectionClock::default();
        let started = Instant::now();
        clock.expired(limits()).await;
        assert_eq!(started.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_keep_alive_connection_has_the_idle_timeout() {
        let clock = Arc::new(ConnectionClock::default());
        drop(InFlight::start(&clock));
        let idle = Instant::now();
        clock.expired(limits()).await;
        assert_eq!(idle.elapsed(), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn a_started_head_has_the_head_timeout_even_after_idling() {
        let clock = Arc::new(ConnectionClock::default());
        drop(InFlight::start(&clock));
        tokio::time::advance(Duration::from_secs(50)).await;
        clock.read();
        let head = Instant::now();
        clock.expired(limits()).await;
        assert_eq!(head.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickled_first_head_counts_from_the_connection_start() {
        let clock = ConnectionClock::default();
        let started = Instant::now();
        tokio::time::advance(Duration::from_secs(9)).await;
        clock.read();
        clock.expired(limits()).await;
        assert_eq!(started.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_in_flight_has_no_connection_deadline() {
        let clock = Arc::new(ConnectionClock::default());
        let request = InFlight::start(&clock);
        let waited = tokio::time::timeout(Duration::from_secs(600), clock.expired(limits())).await;
        assert!(waited.is_err(), "no deadline while a request is served");
        drop(request);
        let idle = Instant::now();
        clock.expired(limits()).await;
        assert_eq!(idle.elapsed(), Duration::from_secs(60));
    }
}
