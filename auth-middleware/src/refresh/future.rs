//! The response future of the [`RefreshService`](super::RefreshService).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Response;
use pin_project_lite::pin_project;

use super::SetCookies;

/// A boxed future of the inner service's output.
type Boxed<T> = Pin<Box<dyn Future<Output = T> + Send>>;

pin_project! {
    /// The future of a [`RefreshService`](super::RefreshService) call: the
    /// inner service's future (unboxed), or, for a request being refreshed,
    /// a boxed future that awaits the store and then the inner service.
    pub struct RefreshFuture<F: Future> {
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProjection]
    enum State<F: Future> {
        Inner {
            #[pin]
            future: F,
            set_cookies: Option<SetCookies>,
        },
        Refreshing {
            future: Boxed<F::Output>,
        },
    }
}

impl<F: Future> RefreshFuture<F> {
    pub(crate) fn inner(future: F, set_cookies: SetCookies) -> Self {
        RefreshFuture {
            state: State::Inner {
                future,
                set_cookies: Some(set_cookies),
            },
        }
    }

    pub(crate) fn refreshing(future: Boxed<F::Output>) -> Self {
        RefreshFuture {
            state: State::Refreshing { future },
        }
    }
}

impl<F, B, E> Future for RefreshFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProjection::Inner {
                future,
                set_cookies,
            } => future.poll(cx).map_ok(|mut response| {
                if let Some(set_cookies) = set_cookies.take() {
                    set_cookies.apply(response.headers_mut());
                }
                response
            }),
            StateProjection::Refreshing { future } => future.as_mut().poll(cx),
        }
    }
}

impl<F: Future> fmt::Debug for RefreshFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Inner { .. } => "Inner",
            State::Refreshing { .. } => "Refreshing",
        };
        f.debug_tuple("RefreshFuture").field(&state).finish()
    }
}
