//! The endpoints the layer answers itself: login (HTTP body or gRPC metadata) and logout.

use std::sync::Arc;
use std::time::Instant;

use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use http::{Method, Request, Response};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use silent_login_catalog::SilentLoginCode;
use tower_service::Service;
use tracing::Instrument;

use crate::body::ResponseBody;
use crate::config::Shared;
use crate::context::RequestContext;
use crate::csrf::refuse_cross_site;
use crate::error::{Detail, LoginError};
use crate::grpc::{GRPC_AUTH_CODE, GRPC_SESSION_TOKEN};
use crate::login_request::{parse_login, BodyKind, LoginRequest};
use crate::respond::{error_response, login_response, logout_failed_response, logout_response};
use crate::secret::{random_id, AuthCode};
use crate::session::{Session, Sessions, MAX_TOKEN_BYTES};
use crate::store::now_ms;

/// The longest query string a login may carry; read before any parameter is looked at.
const MAX_QUERY_BYTES: usize = 2048;

/// `POST /api/login`.
pub(crate) async fn login<ReqBody, ResBody>(
    shared: Arc<Shared>,
    request: Request<ReqBody>,
) -> Response<ResponseBody<ResBody>>
where
    ReqBody: Body,
    ReqBody::Error: std::error::Error + Send + Sync + 'static,
{
    let context = RequestContext::for_layer(request.headers(), &shared.config);
    let provider = shared.authenticator.provider().kind();
    let span = tracing::info_span!("silent_login.login", %provider, request_id = %context.request_id, outcome = tracing::field::Empty, errcode = tracing::field::Empty, cause = tracing::field::Empty, latency_ms = tracing::field::Empty);
    async move {
        let started = Instant::now();
        let result = open_session(&shared, request, started).await;
        let span = tracing::Span::current();
        span.record("latency_ms", started.elapsed().as_millis() as u64);
        match result {
            Ok((session, token)) => {
                span.record("outcome", "ok");
                crate::metrics::login("ok", provider.catalog(), 0);
                tracing::info!(user = %session.identity.user_id, "login succeeded");
                login_response(&session, &token, &context, &shared.config)
            }
            Err(error) => {
                span.record("outcome", "error");
                span.record("errcode", error.errcode());
                if let Some(cause) = error.narrowed_cause() {
                    span.record("cause", cause.id());
                }
                crate::metrics::login("error", error.provider(), error.errcode());
                tracing::info!(detail = error.detail().map(Detail::en), upstream = ?error.upstream(), "login failed: {error}");
                error_response(&error, &context, &shared.config)
            }
        }
    }
    .instrument(span)
    .await
}

async fn open_session<ReqBody>(
    shared: &Shared,
    request: Request<ReqBody>,
    started: Instant,
) -> Result<(Session, String), LoginError>
where
    ReqBody: Body,
    ReqBody::Error: std::error::Error + Send + Sync + 'static,
{
    require_post(request.method())?;
    refuse_cross_site(&shared.config, &request)?;
    let query = request.uri().query().map(str::to_owned);
    if query
        .as_ref()
        .is_some_and(|query| query.len() > MAX_QUERY_BYTES)
    {
        return Err(LoginError::new(SilentLoginCode::LoginBodyTooLarge)
            .with_cause("query_over_limit")
            .with_detail(Detail::new(
                format!("the query string may be at most {MAX_QUERY_BYTES} bytes"),
                format!("查询字符串最多 {MAX_QUERY_BYTES} 字节"),
            )));
    }
    let deadline = tokio::time::Instant::from_std(started) + shared.config.login_timeout;
    let limit = shared.config.login_body_limit;
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
    let body =
        tokio::time::timeout_at(deadline, Limited::new(request.into_body(), limit).collect())
            .await
            .map_err(|_| {
                let waited = shared.config.login_timeout.as_millis();
                LoginError::new(SilentLoginCode::LoginBodyTimeout).with_detail(Detail::new(
                    format!("the body was not complete after {waited} ms"),
                    format!("等了 {waited} 毫秒，请求体仍未传完"),
                ))
            })?
            .map_err(|error| {
                if error
                    .downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    too_large(limit)
                } else {
                    LoginError::new(SilentLoginCode::LoginBodyMalformed)
                        .with_cause("body_incomplete")
                        .with_detail(Detail::new(
                            "the body could not be read to its end",
                            "请求体未能完整读取",
                        ))
                }
            })?;
    let code = match parse_login(
        shared.authenticator.provider().kind(),
        query.as_deref(),
        kind,
        &body.to_bytes(),
    )? {
        LoginRequest::Code(code) => code,
        LoginRequest::JsapiFailure(error) => return Err(error),
    };
    issue_session(shared, code, deadline).await
}

/// The code's identity, if its organization is allowed, sealed into a new session — or the
/// catalog's timeout past `deadline` (the exchange itself goes on and records the code's fate).
async fn issue_session(
    shared: &Shared,
    code: AuthCode,
    deadline: tokio::time::Instant,
) -> Result<(Session, String), LoginError> {
    let (identity, grant) =
        tokio::time::timeout_at(deadline, shared.authenticator.exchange_grant(code))
            .await
            .map_err(|_| {
                let limit = shared.config.login_timeout.as_millis();
                LoginError::new(SilentLoginCode::UpstreamTimeout)
                    .with_cause("login_deadline")
                    .with_detail(Detail::new(
                        format!("the login did not finish within {limit} ms"),
                        format!("登录未能在 {limit} 毫秒内完成"),
                    ))
            })??;
    shared.sessions.tenants.check(&identity)?;
    let issued_at_ms = shared.sessions.store.issued_at_ms(&identity);
    let session = Session {
        id: random_id().into(),
        identity,
        issued_at_ms,
        expires_at_ms: now_ms() + shared.config.session_ttl.as_millis() as u64,
    };
    let token = shared.sessions.seal(&session);
    if token.len() > MAX_TOKEN_BYTES {
        // Only platform fields of unusual size get here; a session that could never be opened
        // must not be answered as a login.
        let (user, length) = (&session.identity.user_id, token.len());
        return Err(LoginError::new(SilentLoginCode::InternalError).with_detail(Detail::new(
            format!("the session of `{user}` seals to {length} bytes, more than the {MAX_TOKEN_BYTES} a token may have"),
            format!("`{user}` 的会话封装后有 {length} 字节，超过了令牌最多允许的 {MAX_TOKEN_BYTES} 字节"),
        )));
    }
    if let (Some(user_tokens), Some(grant)) = (&shared.user_tokens, grant) {
        // A session that could never hand out its user token is no login for an app that asked
        // to keep them: refuse it while the front end can still get a new code.
        user_tokens
            .keep(&session.id, session.expires_at_ms, grant)
            .await?;
    }
    Ok((session, token))
}

/// Login and logout change state, so only POST may call them.
fn require_post(method: &Method) -> Result<(), LoginError> {
    if method == Method::POST {
        return Ok(());
    }
    Err(
        LoginError::new(SilentLoginCode::LoginMethodNotAllowed).with_detail(Detail::new(
            format!("got {method}, expected POST"),
            format!("收到的是 {method} 请求，应为 POST"),
        )),
    )
}

fn too_large(limit: usize) -> LoginError {
    LoginError::new(SilentLoginCode::LoginBodyTooLarge)
        .with_cause("body_over_limit")
        .with_detail(Detail::new(
            format!("the login body may be at most {limit} bytes"),
            format!("登录请求体最多 {limit} 字节"),
        ))
}

/// `POST /api/logout[?all=1]`: revoke the session (or all of the user's) and clear the cookie.
///
/// The session is opened on its seal, audience and expiry alone (it may be revoked already, or
/// the store may be unable to say). `200 {"logged_out":true}` only once the revocation is
/// recorded; otherwise `503 StoreUnavailable` (cause `revocation_not_recorded`) — the cookie is
/// cleared either way. A request without a session that opens has nothing to revoke: 200.
pub(crate) async fn logout<ReqBody, ResBody>(
    shared: Arc<Shared>,
    request: Request<ReqBody>,
) -> Response<ResponseBody<ResBody>> {
    let context = RequestContext::for_layer(request.headers(), &shared.config);
    let refused =
        require_post(request.method()).and_then(|()| refuse_cross_site(&shared.config, &request));
    if let Err(error) = refused {
        return error_response(&error, &context, &shared.config);
    }
    let all = request.uri().query().is_some_and(|query| {
        query
            .split('&')
            .any(|pair| matches!(pair, "all=1" | "all=true" | "all"))
    });
    let cookie_name = shared.config.cookie.name();
    if let Ok(session) = shared.sessions.open(request.headers(), cookie_name) {
        let sessions = Sessions::new(shared.sessions.store.clone(), shared.config.session_ttl);
        let revoked = if all {
            sessions.logout_all(&session.identity).await
        } else {
            sessions.logout(&session.info()).await
        };
        if let Err(error) = revoked {
            tracing::warn!(request_id = %context.request_id, user = %session.identity.user_id, all, "logout could not record the revocation: {error}");
            return logout_failed_response(&error.into(), &context, &shared.config);
        }
        if let Some(user_tokens) = &shared.user_tokens {
            user_tokens.forget(&session.id).await;
        }
        tracing::info!(user = %session.identity.user_id, all, "logged out");
    }
    logout_response(all, &context, &shared.config)
}

/// A gRPC call that carries a code in `x-auth-code` logs in, then goes on to its method; the
/// session token comes back in `x-session-token`.
pub(crate) async fn grpc_login<S, ReqBody, ResBody>(
    shared: Arc<Shared>,
    mut request: Request<ReqBody>,
    mut inner: S,
) -> Result<Response<ResponseBody<ResBody>>, S::Error>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    let context = RequestContext::for_layer(request.headers(), &shared.config);
    let code = request
        .headers()
        .get(GRPC_AUTH_CODE)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| {
            LoginError::new(SilentLoginCode::AuthCodeMalformed).with_cause("malformed_code")
        })
        .and_then(AuthCode::parse);
    let opened = match code {
        Ok(code) => {
            let deadline = tokio::time::Instant::now() + shared.config.login_timeout;
            issue_session(&shared, code, deadline).await
        }
        Err(error) => Err(error),
    };
    let (session, token) = match opened {
        Ok(opened) => opened,
        Err(error) => {
            tracing::info!(request_id = %context.request_id, detail = error.detail().map(Detail::en), upstream = ?error.upstream(), "gRPC login failed: {error}");
            return Ok(error_response(&error, &context, &shared.config));
        }
    };
    request.headers_mut().remove(GRPC_AUTH_CODE);
    let (identity, info) = session.into_parts();
    request.extensions_mut().insert(identity);
    request.extensions_mut().insert(info);
    if let Some(user_tokens) = &shared.user_tokens {
        request.extensions_mut().insert(user_tokens.clone());
    }
    let mut response = inner.call(request).await?.map(ResponseBody::theirs);
    if let Ok(value) = HeaderValue::from_str(&token) {
        response.headers_mut().insert(GRPC_SESSION_TOKEN, value);
    }
    Ok(response)
}
