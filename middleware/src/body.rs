//! The response body of the layer: either ours (an error or login answer) or the inner service's.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use pin_project_lite::pin_project;

pin_project! {
    /// A body the layer wrote, or the inner service's body untouched — so the layer works over
    /// any body type (axum's, tonic's, hyper's).
    #[derive(Debug)]
    pub struct ResponseBody<B> {
        #[pin]
        inner: Inner<B>,
    }
}

pin_project! {
    #[project = InnerProj]
    #[derive(Debug)]
    enum Inner<B> {
        Ours { #[pin] body: Full<Bytes> },
        Theirs { #[pin] body: B },
    }
}

impl<B> ResponseBody<B> {
    /// A body silent-login wrote.
    pub(crate) fn ours(bytes: impl Into<Bytes>) -> Self {
        Self {
            inner: Inner::Ours {
                body: Full::new(bytes.into()),
            },
        }
    }

    /// An empty body (gRPC Trailers-Only answers).
    pub(crate) fn empty() -> Self {
        Self::ours(Bytes::new())
    }

    /// The inner service's body.
    pub(crate) fn theirs(body: B) -> Self {
        Self {
            inner: Inner::Theirs { body },
        }
    }
}

impl<B> Body for ResponseBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.project().inner.project() {
            InnerProj::Ours { body } => match body.poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => Poll::Ready(Some(Ok(frame))),
                Poll::Ready(Some(Err(never))) => match never {},
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
            InnerProj::Theirs { body } => body.poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Ours { body } => body.is_end_stream(),
            Inner::Theirs { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Ours { body } => body.size_hint(),
            Inner::Theirs { body } => body.size_hint(),
        }
    }
}
