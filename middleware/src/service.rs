//! `SilentLogin<S>`: routes the login and logout endpoints, and checks the session of every
//! other request before the inner service sees it.

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use tower_service::Service;

use crate::body::ResponseBody;
use crate::config::{Mode, Shared};
use crate::context::{grpc_content_type, RequestContext};
use crate::endpoints::{grpc_login, login, logout};
use crate::error::Detail;
use crate::future::ResponseFuture;
use crate::grpc::GRPC_AUTH_CODE;
use crate::rejection::IdentityRejection;
use crate::respond::{cookie_removal, error_response};

/// The middleware service; build it with [`SilentLoginLayer`](crate::SilentLoginLayer).
#[derive(Clone, Debug)]
pub struct SilentLogin<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> SilentLogin<S> {
    pub(crate) fn new(inner: S, shared: Arc<Shared>) -> Self {
        Self { inner, shared }
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
        let config = &self.shared.config;
        let path = request.uri().path();
        if path == config.login_path {
            let shared = self.shared.clone();
            return ResponseFuture::boxed(Box::pin(
                async move { Ok(login(shared, request).await) },
            ));
        }
        if path == config.logout_path {
            let shared = self.shared.clone();
            return ResponseFuture::boxed(Box::pin(
                async move { Ok(logout(shared, request).await) },
            ));
        }
        if config.public.contains(path) {
            return ResponseFuture::inner(self.inner.call(request));
        }
        let headers = request.headers();
        // gRPC calls are POSTs: any other method skips the header lookups.
        if request.method() == http::Method::POST
            && grpc_content_type(headers).is_some()
            && headers.contains_key(GRPC_AUTH_CODE)
        {
            let shared = self.shared.clone();
            // The clone takes the place of the instance that was polled ready.
            let clone = self.inner.clone();
            let inner = std::mem::replace(&mut self.inner, clone);
            return ResponseFuture::boxed(Box::pin(grpc_login(shared, request, inner)));
        }
        match self
            .shared
            .sessions
            .authenticate(headers, config.cookie.name())
        {
            Ok(session) => {
                request.extensions_mut().insert(session.identity.clone());
                request.extensions_mut().insert(session.info());
                if let Some(user_tokens) = &self.shared.user_tokens {
                    request.extensions_mut().insert(user_tokens.clone());
                }
                ResponseFuture::inner(self.inner.call(request))
            }
            Err(error) => {
                let context = RequestContext::for_layer(headers, config);
                if config.mode == Mode::Optional {
                    // A handler that insists on an identity answers as the layer would have.
                    let removal = cookie_removal(&error, &context, config);
                    let rejection = IdentityRejection::new(error, context, removal);
                    request.extensions_mut().insert(rejection);
                    return ResponseFuture::inner(self.inner.call(request));
                }
                tracing::debug!(errcode = error.errcode(), request_id = %context.request_id, detail = error.detail().map(Detail::en), "request refused: {error}");
                ResponseFuture::ready(error_response(&error, &context, config))
            }
        }
    }
}

#[cfg(test)]
mod tests;
