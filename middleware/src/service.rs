//! `SilentLogin<S>`: routes the login and logout endpoints, and checks the session of every
//! other request before the inner service sees it.

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{Request, Response};
use http_body::Body;
use tower_service::Service;

use crate::body::ResponseBody;
use crate::endpoints::{grpc_login, login, logout};
use crate::future::ResponseFuture;
use crate::layer::{Mode, Settings};
use crate::respond::{error_response, RequestContext};
use crate::session_check::authenticate;
/// The gRPC metadata that carries a login code.
pub const GRPC_AUTH_CODE: &str = "x-auth-code";
/// The gRPC response header that carries the new session token.
pub const GRPC_SESSION_TOKEN: &str = "x-session-token";

/// The middleware service; build it with [`SilentLoginLayer`](crate::SilentLoginLayer).
#[derive(Clone, Debug)]
pub struct SilentLogin<S> {
    inner: S,
    settings: Arc<Settings>,
}

impl<S> SilentLogin<S> {
    pub(crate) fn new(inner: S, settings: Arc<Settings>) -> Self {
        Self { inner, settings }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SilentLogin<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ReqBody: Body + Send + 'static,
    ReqBody::Data: Send,
    ReqBody::Error: std::error::Error + Send + Sync + 'static,
    ResBody: Body<Data = Bytes> + Send + 'static,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let settings = &self.settings;
        let path = request.uri().path();
        if path == settings.login_path {
            let settings = settings.clone();
            return ResponseFuture::boxed(Box::pin(
                async move { Ok(login(settings, request).await) },
            ));
        }
        if path == settings.logout_path {
            let settings = settings.clone();
            return ResponseFuture::boxed(Box::pin(
                async move { Ok(logout(settings, request).await) },
            ));
        }
        if settings.is_public(path) {
            return ResponseFuture::inner(self.inner.call(request));
        }
        if request.headers().contains_key(GRPC_AUTH_CODE) && is_grpc(&request) {
            let settings = settings.clone();
            // The clone takes the place of the instance that was polled ready.
            let clone = self.inner.clone();
            let inner = std::mem::replace(&mut self.inner, clone);
            return ResponseFuture::boxed(Box::pin(grpc_login(settings, request, inner)));
        }
        match authenticate(settings, &request) {
            Ok(session) => {
                let (identity, info) = session.into_parts();
                request.extensions_mut().insert(identity);
                request.extensions_mut().insert(info);
                ResponseFuture::inner(self.inner.call(request))
            }
            Err(_error) if settings.mode == Mode::Optional => {
                // An extractor that insists on an identity answers as the layer would have.
                #[cfg(feature = "axum")]
                {
                    let refusal = crate::respond::Refusal {
                        context: RequestContext::of(&request, settings),
                        error: _error,
                        settings: settings.clone(),
                    };
                    request.extensions_mut().insert(refusal);
                }
                ResponseFuture::inner(self.inner.call(request))
            }
            Err(error) => {
                let context = RequestContext::of(&request, settings);
                tracing::debug!(errcode = error.errcode(), request_id = %context.request_id, "request refused: {error}");
                ResponseFuture::ready(error_response(&error, &context, settings))
            }
        }
    }
}

fn is_grpc<B>(request: &Request<B>) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/grpc"))
}
