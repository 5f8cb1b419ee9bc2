//! Writing answers: the JSON error body (or a gRPC Trailers-Only status), the login and logout
//! answers, and the session cookie on them.

use http::header::{
    HeaderValue, ALLOW, CACHE_CONTROL, CONNECTION, CONTENT_TYPE, RETRY_AFTER, SET_COOKIE,
    WWW_AUTHENTICATE,
};
use http::{HeaderMap, Response, StatusCode};
use serde::Serialize;
use silent_login_catalog::SilentLoginCode;

use crate::body::ResponseBody;
use crate::config::Config;
use crate::context::{RequestContext, REQUEST_ID};
use crate::error::LoginError;
use crate::session::Session;

/// The answer for a failure: JSON over HTTP, Trailers-Only over gRPC; a session that can never
/// work again also loses its cookie.
pub(crate) fn error_response<B>(
    error: &LoginError,
    context: &RequestContext,
    config: &Config,
) -> Response<ResponseBody<B>> {
    let mut response = http_error_response(error, context);
    if let Some(removal) = cookie_removal(error, context, config) {
        response.headers_mut().append(SET_COOKIE, removal);
    }
    response
}

/// The `Set-Cookie` that clears the session cookie, when `error` means the presented session can
/// never work again (and the caller is a browser, not a gRPC client).
pub(crate) fn cookie_removal(
    error: &LoginError,
    context: &RequestContext,
    config: &Config,
) -> Option<HeaderValue> {
    if context.grpc.is_some() || !ends_session(error) {
        return None;
    }
    HeaderValue::from_str(&config.removal_cookie().to_string()).ok()
}

/// The answer for a failure, without the cookie handling that needs the layer's configuration.
pub(crate) fn http_error_response<B>(
    error: &LoginError,
    context: &RequestContext,
) -> Response<ResponseBody<B>> {
    if let Some(content_type) = &context.grpc {
        return crate::grpc::error_response(error, context, content_type.clone());
    }
    let mut response = json_response(error.status(), error_body_json(error, context), context);
    let headers = response.headers_mut();
    if error.status() == StatusCode::UNAUTHORIZED {
        headers.insert(WWW_AUTHENTICATE, www_authenticate(error));
    }
    if error.status() == StatusCode::METHOD_NOT_ALLOWED {
        headers.insert(ALLOW, HeaderValue::from_static("POST"));
    }
    if let Some(seconds) = retry_after(error) {
        headers.insert(RETRY_AFTER, HeaderValue::from_static(seconds));
    }
    if error.is(SilentLoginCode::LoginBodyTimeout) {
        // The rest of a trickled body is not worth reading: close the connection.
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// When a refusal that only needs patience may be retried, in seconds: a full cap frees up
/// within a second; a rate limit (ours or the platform's) is remembered for the token cache's
/// 2 s backoff.
fn retry_after(error: &LoginError) -> Option<&'static str> {
    if error.is(SilentLoginCode::LoginOverloaded) {
        Some("1")
    } else if error.status() == StatusCode::TOO_MANY_REQUESTS {
        Some("2")
    } else {
        None
    }
}

/// The JSON error body, in the request's language.
pub(crate) fn error_body_json(error: &LoginError, context: &RequestContext) -> Vec<u8> {
    let body = if context.expose_details {
        error.body(context.lang, &context.request_id)
    } else {
        error.public_body(context.lang, &context.request_id)
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

fn www_authenticate(error: &LoginError) -> HeaderValue {
    if ends_session(error) {
        HeaderValue::from_static(r#"Bearer realm="silent-login", error="invalid_token""#)
    } else {
        HeaderValue::from_static(r#"Bearer realm="silent-login""#)
    }
}

/// A presented session that can never work again. A session sealed with a key this server
/// does not hold is not one: during a rolling key rotation another replica may hold that key,
/// so its cookie stays.
fn ends_session(error: &LoginError) -> bool {
    [
        SilentLoginCode::SessionExpired,
        SilentLoginCode::SessionInvalid,
        SilentLoginCode::SessionRevoked,
    ]
    .into_iter()
    .any(|code| error.is(code))
}

/// The successful login's JSON (the login body of the contract, docs/CONTRACTS.md).
#[derive(Debug, Serialize)]
struct LoginBody<'a> {
    provider: &'static str,
    user_id: &'a str,
    union_id: Option<&'a str>,
    open_id: Option<&'a str>,
    name: Option<&'a str>,
    tenant: Option<&'a str>,
    is_admin: bool,
    token: &'a str,
    /// Unix seconds.
    expires_at: u64,
}

pub(crate) fn login_response<B>(
    session: &Session,
    token: &str,
    context: &RequestContext,
    config: &Config,
) -> Response<ResponseBody<B>> {
    let identity = &session.identity;
    let body = LoginBody {
        provider: identity.provider.as_str(),
        user_id: &identity.user_id,
        union_id: identity.union_id.as_deref(),
        open_id: identity.open_id.as_deref(),
        name: identity.name.as_deref(),
        tenant: identity.tenant.as_deref(),
        is_admin: identity.is_admin,
        token,
        expires_at: session.expires_at_ms / 1000,
    };
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = json_response(StatusCode::OK, body, context);
    append_cookie(response.headers_mut(), &config.session_cookie(token));
    response
}

/// A logout whose revocation could not be recorded: the error, and the cookie cleared anyway
/// (this browser is logged out; the answer says the session may still work elsewhere).
pub(crate) fn logout_failed_response<B>(
    error: &LoginError,
    context: &RequestContext,
    config: &Config,
) -> Response<ResponseBody<B>> {
    let mut response = error_response(error, context, config);
    append_cookie(response.headers_mut(), &config.removal_cookie());
    response
}

pub(crate) fn logout_response<B>(
    all: bool,
    context: &RequestContext,
    config: &Config,
) -> Response<ResponseBody<B>> {
    let body = serde_json::json!({ "logged_out": true, "all": all });
    let mut response = json_response(StatusCode::OK, body.to_string().into_bytes(), context);
    append_cookie(response.headers_mut(), &config.removal_cookie());
    response
}

/// A JSON answer silent-login wrote: never cached, tagged with the request id.
fn json_response<B>(
    status: StatusCode,
    body: Vec<u8>,
    context: &RequestContext,
) -> Response<ResponseBody<B>> {
    let mut response = Response::new(ResponseBody::ours(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(id) = HeaderValue::from_str(&context.request_id) {
        headers.insert(REQUEST_ID, id);
    }
    response
}

fn append_cookie(headers: &mut HeaderMap, cookie: &cookie::Cookie<'_>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        headers.append(SET_COOKIE, value);
    }
}
