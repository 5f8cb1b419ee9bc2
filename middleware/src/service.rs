//! `SilentLogin<S>`: routes the login and logout endpoints, and checks the session of every
//! other request before the inner service sees it.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http::header::{
    HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HOST, ORIGIN,
};
use http::{Method, Request, Response};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use silent_login_catalog::SilentLoginCode;
use tower_service::Service;
use tracing::Instrument;

use crate::body::ResponseBody;
use crate::error::LoginError;
use crate::future::ResponseFuture;
use crate::layer::{Mode, RevocationPolicy, Settings};
use crate::login::{parse_login, BodyKind, LoginRequest};
use crate::respond::{error_response, login_response, logout_response, RequestContext};
use crate::secret::AuthCode;
use crate::session::{random_id, Session};
use crate::store::now_ms;

/// The largest `Cookie` header read; a browser's whole jar for one site is far smaller.
const MAX_COOKIE_HEADER: usize = 16 * 1024;
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

/// The session of a request: bearer token first (mini programs have no cookies), then cookie.
/// This runs on every protected request, so it only borrows and never waits.
pub(crate) fn authenticate<B>(
    settings: &Settings,
    request: &Request<B>,
) -> Result<Session, LoginError> {
    let token = session_token(request, &settings.cookie.name)?;
    let session = settings.keys.unseal(token, now_ms())?;
    if !settings.tenant_allowed(session.identity.tenant.as_deref()) {
        return Err(LoginError::new(SilentLoginCode::TenantNotAllowed)
            .with_detail("the session's organization is not allowed here"));
    }
    let store = settings.authenticator.store();
    match store.is_revoked(&session.id, &session.identity, session.issued_at_ms) {
        Ok(false) => Ok(session),
        Ok(true) => Err(LoginError::new(SilentLoginCode::SessionRevoked)),
        Err(error) => {
            crate::metrics::store_failure("is_revoked");
            match settings.revocation_policy {
                RevocationPolicy::FailOpen => {
                    tracing::warn!(%error, "revocation check unavailable; accepting the session (fail open)");
                    Ok(session)
                }
                RevocationPolicy::FailClosed => {
                    Err(LoginError::new(SilentLoginCode::StoreUnavailable)
                        .with_detail(error.to_string()))
                }
            }
        }
    }
}

fn session_token<'r, B>(request: &'r Request<B>, cookie_name: &str) -> Result<&'r str, LoginError> {
    let headers = request.headers();
    if let Some(value) = headers.get(AUTHORIZATION) {
        if value.len() > crate::session::MAX_TOKEN_BYTES + 16 {
            return Err(LoginError::new(SilentLoginCode::HeaderTooLarge)
                .with_detail("the Authorization header is too large"));
        }
        let text = value
            .to_str()
            .map_err(|_| invalid_session("the Authorization header is not ASCII"))?;
        if let Some((scheme, token)) = text.split_once(' ') {
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
                return Ok(token.trim());
            }
        }
    }
    let mut total = 0;
    for value in headers.get_all(COOKIE) {
        total += value.len();
        if total > MAX_COOKIE_HEADER {
            return Err(LoginError::new(SilentLoginCode::HeaderTooLarge)
                .with_detail("the Cookie header is too large"));
        }
        let Ok(text) = value.to_str() else { continue };
        // Session tokens are cookie-safe as they are (base64 and dots), so no decoding.
        for pair in text.split(';') {
            let Some((name, token)) = pair.split_once('=') else {
                continue;
            };
            let token = token.trim().trim_matches('"');
            if name.trim() == cookie_name && !token.is_empty() {
                return Ok(token);
            }
        }
    }
    Err(LoginError::new(SilentLoginCode::SessionMissing))
}

fn invalid_session(detail: &str) -> LoginError {
    LoginError::new(SilentLoginCode::SessionInvalid).with_detail(detail.to_owned())
}

/// `POST /api/login`.
async fn login<ReqBody, ResBody>(
    settings: Arc<Settings>,
    request: Request<ReqBody>,
) -> Response<ResponseBody<ResBody>>
where
    ReqBody: Body,
    ReqBody::Error: std::error::Error + Send + Sync + 'static,
{
    let context = RequestContext::of(&request, &settings);
    let provider = settings.authenticator.provider().kind();
    let span = tracing::info_span!("silent_login.login", %provider, request_id = %context.request_id, outcome = tracing::field::Empty, errcode = tracing::field::Empty, cause = tracing::field::Empty, latency_ms = tracing::field::Empty);
    async move {
        let started = Instant::now();
        let result = open_session(&settings, request).await;
        let span = tracing::Span::current();
        span.record("latency_ms", started.elapsed().as_millis() as u64);
        match result {
            Ok((session, token)) => {
                span.record("outcome", "ok");
                crate::metrics::login("ok", provider.catalog(), 0);
                tracing::info!(user = %session.identity.user_id, "login succeeded");
                login_response(&session, &token, &context, &settings)
            }
            Err(error) => {
                span.record("outcome", "error");
                span.record("errcode", error.errcode());
                if let Some(cause) = error.narrowed_cause() {
                    span.record("cause", cause.id());
                }
                crate::metrics::login("error", error.provider(), error.errcode());
                tracing::info!("login failed: {error}");
                error_response(&error, &context, &settings)
            }
        }
    }
    .instrument(span)
    .await
}

async fn open_session<ReqBody>(
    settings: &Settings,
    request: Request<ReqBody>,
) -> Result<(Session, String), LoginError>
where
    ReqBody: Body,
    ReqBody::Error: std::error::Error + Send + Sync + 'static,
{
    if request.method() != Method::POST {
        return Err(LoginError::new(SilentLoginCode::LoginMethodNotAllowed)
            .with_detail(format!("got {}, expected POST", request.method())));
    }
    refuse_cross_site(settings, &request)?;
    let limit = settings.login_body_limit;
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large(limit));
    }
    let kind = BodyKind::from_content_type(
        request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok()),
    );
    let query = request.uri().query().map(str::to_owned);
    let body = Limited::new(request.into_body(), limit)
        .collect()
        .await
        .map_err(|error| {
            if error
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                too_large(limit)
            } else {
                LoginError::new(SilentLoginCode::LoginBodyMalformed)
                    .with_detail("the body could not be read to its end")
            }
        })?;
    let code = match parse_login(
        settings.authenticator.provider().kind(),
        query.as_deref(),
        kind,
        &body.to_bytes(),
    )? {
        LoginRequest::Code(code) => code,
        LoginRequest::JsapiFailure(error) => return Err(error),
    };
    issue_session(settings, code).await
}

async fn issue_session(
    settings: &Settings,
    code: AuthCode,
) -> Result<(Session, String), LoginError> {
    let identity = settings.authenticator.exchange(code).await?;
    if !settings.tenant_allowed(identity.tenant.as_deref()) {
        return Err(
            LoginError::new(SilentLoginCode::TenantNotAllowed).with_detail(format!(
                "organization `{}` is not in the allowed list",
                identity.tenant.as_deref().unwrap_or("(none)")
            )),
        );
    }
    let now = now_ms();
    let session = Session {
        id: random_id(),
        identity,
        issued_at_ms: now,
        expires_at_ms: now + settings.session_ttl.as_millis() as u64,
    };
    let token = settings.keys.seal(&session);
    Ok((session, token))
}

fn too_large(limit: usize) -> LoginError {
    LoginError::new(SilentLoginCode::LoginBodyTooLarge)
        .with_detail(format!("the login body may be at most {limit} bytes"))
}

/// Login CSRF: a cookie-issuing login started by another site is refused.
fn refuse_cross_site<B>(settings: &Settings, request: &Request<B>) -> Result<(), LoginError> {
    let headers = request.headers();
    let refuse =
        |detail: String| Err(LoginError::new(SilentLoginCode::CrossSiteLogin).with_detail(detail));
    if headers
        .get("sec-fetch-site")
        .is_some_and(|site| site == "cross-site")
    {
        let origin = headers
            .get(ORIGIN)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        if !settings
            .allowed_origins
            .iter()
            .any(|allowed| allowed == origin)
        {
            return refuse(
                "the browser marked this login request as cross-site (Sec-Fetch-Site: cross-site)"
                    .to_owned(),
            );
        }
    }
    let Some(origin) = headers.get(ORIGIN).and_then(|value| value.to_str().ok()) else {
        return Ok(());
    };
    if origin == "null" {
        return refuse("the login request came from an opaque origin (Origin: null)".to_owned());
    }
    let origin = origin.trim_end_matches('/');
    if settings
        .allowed_origins
        .iter()
        .any(|allowed| allowed == origin)
    {
        return Ok(());
    }
    let origin_host = origin.split_once("://").map_or(origin, |(_, host)| host);
    let host = headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|authority| authority.as_str())
        });
    match host {
        Some(host) if host.eq_ignore_ascii_case(origin_host) => Ok(()),
        _ => refuse(format!(
            "the login request came from another site ({origin:.100})"
        )),
    }
}

/// `POST /api/logout[?all=1]`: revoke the session (or all of the user's) and clear the cookie.
async fn logout<ReqBody, ResBody>(
    settings: Arc<Settings>,
    request: Request<ReqBody>,
) -> Response<ResponseBody<ResBody>> {
    let context = RequestContext::of(&request, &settings);
    if request.method() != Method::POST {
        let error = LoginError::new(SilentLoginCode::LoginMethodNotAllowed)
            .with_detail(format!("got {}, expected POST", request.method()));
        return error_response(&error, &context, &settings);
    }
    let all = request.uri().query().is_some_and(|query| {
        query
            .split('&')
            .any(|pair| matches!(pair, "all=1" | "all=true" | "all"))
    });
    if let Ok(session) = authenticate(&settings, &request) {
        let sessions = crate::sessions::Sessions::new(
            settings.authenticator.store().clone(),
            settings.session_ttl,
        );
        let revoked = if all {
            sessions.logout_all(&session.identity).await
        } else {
            sessions.logout(&session.info()).await
        };
        if let Err(error) = revoked {
            return error_response(&error, &context, &settings);
        }
        tracing::info!(user = %session.identity.user_id, all, "logged out");
    }
    logout_response(all, &context, &settings)
}

/// A gRPC call that carries a code in `x-auth-code` logs in, then goes on to its method; the
/// session token comes back in `x-session-token`.
async fn grpc_login<S, ReqBody, ResBody>(
    settings: Arc<Settings>,
    mut request: Request<ReqBody>,
    mut inner: S,
) -> Result<Response<ResponseBody<ResBody>>, S::Error>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    let context = RequestContext::of(&request, &settings);
    let code = request
        .headers()
        .get(GRPC_AUTH_CODE)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| {
            LoginError::new(SilentLoginCode::AuthCodeMalformed).with_cause("malformed_code")
        })
        .and_then(AuthCode::parse);
    let opened = match code {
        Ok(code) => issue_session(&settings, code).await,
        Err(error) => Err(error),
    };
    let (session, token) = match opened {
        Ok(opened) => opened,
        Err(error) => {
            tracing::info!(request_id = %context.request_id, "gRPC login failed: {error}");
            return Ok(error_response(&error, &context, &settings));
        }
    };
    request.headers_mut().remove(GRPC_AUTH_CODE);
    let (identity, info) = session.into_parts();
    request.extensions_mut().insert(identity);
    request.extensions_mut().insert(info);
    let mut response = inner.call(request).await?.map(ResponseBody::theirs);
    if let Ok(value) = HeaderValue::from_str(&token) {
        response.headers_mut().insert(GRPC_SESSION_TOKEN, value);
    }
    Ok(response)
}
