//! The response body of the [`AuthService`](crate::AuthService).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

pin_project! {
    /// The body of a response from an [`AuthService`](crate::AuthService):
    /// the inner service's body, or the rendered rejection's bytes.
    ///
    /// Its error type is the inner body's, so wrapping a service in the layer
    /// changes no error handling downstream.
    ///
    /// ```
    /// use auth_middleware::AuthBody;
    /// use http_body_util::Full;
    /// use bytes::Bytes;
    ///
    /// fn assert_body<B: http_body::Body<Data = Bytes>>() {}
    /// assert_body::<AuthBody<Full<Bytes>>>();
    /// ```
    pub struct AuthBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProjection]
    enum Kind<B> {
        Inner {
            #[pin]
            body: B,
        },
        Rejection {
            // Taken when its one frame is sent.
            data: Option<Bytes>,
        },
    }
}

impl<B> AuthBody<B> {
    pub(crate) fn inner(body: B) -> Self {
        AuthBody {
            kind: Kind::Inner { body },
        }
    }

    pub(crate) fn rejection(data: Bytes) -> Self {
        AuthBody {
            kind: Kind::Rejection {
                data: (!data.is_empty()).then_some(data),
            },
        }
    }
}

impl<B> Body for AuthBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        match self.project().kind.project() {
            KindProjection::Inner { body } => body.poll_frame(cx),
            KindProjection::Rejection { data } => {
                Poll::Ready(data.take().map(|data| Ok(Frame::data(data))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Rejection { data } => data.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Rejection { data } => {
                SizeHint::with_exact(data.as_ref().map_or(0, |data| data.len() as u64))
            }
        }
    }
}

impl<B> fmt::Debug for AuthBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Inner { .. } => f.write_str("AuthBody::Inner"),
            Kind::Rejection { data } => f
                .debug_struct("AuthBody::Rejection")
                .field("len", &data.as_ref().map_or(0, Bytes::len))
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::task::Waker;

    /// A body that never yields, to tell which side a frame came from.
    struct Never;

    impl Body for Never {
        type Data = Bytes;
        type Error = Infallible;
        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            Poll::Pending
        }
    }

    fn poll(body: &mut AuthBody<Never>) -> Poll<Option<Bytes>> {
        let mut cx = Context::from_waker(Waker::noop());
        Pin::new(body).poll_frame(&mut cx).map(|frame| {
            frame.map(|frame| {
                frame
                    .ok()
                    .and_then(|f| f.into_data().ok())
                    .unwrap_or_default()
            })
        })
    }

    #[test]
    fn rejection_body_is_one_frame() {
        let mut body = AuthBody::<Never>::rejection(Bytes::from_static(b"{}"));
        assert_eq!(body.size_hint().exact(), Some(2));
        assert!(!body.is_end_stream());
        assert_eq!(
            poll(&mut body),
            Poll::Ready(Some(Bytes::from_static(b"{}")))
        );
        assert!(body.is_end_stream());
        assert_eq!(poll(&mut body), Poll::Ready(None));
    }

    #[test]
    fn empty_rejection_body_ends_at_once() {
        let body = AuthBody::<Never>::rejection(Bytes::new());
        assert!(body.is_end_stream());
        assert_eq!(body.size_hint().exact(), Some(0));
    }

    #[test]
    fn inner_body_is_passed_through() {
        let mut body = AuthBody::inner(Never);
        assert_eq!(poll(&mut body), Poll::Pending);
    }
}
