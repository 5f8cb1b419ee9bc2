//! Writing answers: the JSON error body (or a gRPC Trailers-Only status), the login answer, and
//! the session cookie.

use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE, WWW_AUTHENTICATE};
use http::{HeaderMap, Request, Response, StatusCode};
use serde::Serialize;
use silent_login_catalog::{Lang, SilentLoginCode};

use crate::body::ResponseBody;
use crate::error::LoginError;
use crate::layer::Settings;
use crate::session::Session;

/// Per-request facts every answer needs.
#[derive(Clone, Debug)]
pub(crate) struct RequestContext {
    pub(crate) lang: Lang,
    pub(crate) request_id: String,
    /// The request's gRPC content type, when it is a gRPC (or gRPC-Web) call.
    pub(crate) grpc: Option<HeaderValue>,
}

impl RequestContext {
    pub(crate) fn of<B>(request: &Request<B>, settings: &Settings) -> Self {
        let headers = request.headers();
        let lang = headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .and_then(Lang::negotiate)
            .unwrap_or(settings.default_lang);
        let request_id = request_id_of(headers);
        let grpc = headers
            .get(CONTENT_TYPE)
            .filter(|value| value.as_bytes().starts_with(b"application/grpc"))
            .cloned();
        Self {
            lang,
            request_id,
            grpc,
        }
    }
}

/// Why the layer let a request through without an identity (optional mode): the extractor
/// that then refuses it answers exactly as the layer would have.
#[cfg(feature = "axum")]
#[derive(Clone, Debug)]
pub(crate) struct Refusal {
    pub(crate) error: LoginError,
    pub(crate) context: RequestContext,
    pub(crate) settings: std::sync::Arc<Settings>,
}

#[cfg(feature = "axum")]
impl RequestContext {
    /// A context from headers alone, for answers written outside the layer.
    pub(crate) fn from_headers(headers: &HeaderMap, default_lang: Lang) -> Self {
        let lang = headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .and_then(Lang::negotiate)
            .unwrap_or(default_lang);
        let request_id = request_id_of(headers);
        Self {
            lang,
            request_id,
            grpc: None,
        }
    }
}

fn request_id_of(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(crate::session::random_id, str::to_owned)
}

/// The answer for a failure: JSON over HTTP, Trailers-Only over gRPC.
pub(crate) fn error_response<B>(
    error: &LoginError,
    context: &RequestContext,
    settings: &Settings,
) -> Response<ResponseBody<B>> {
    let mut response = http_error_response(error, context);
    if context.grpc.is_none() && ends_session(error) {
        append_cookie(response.headers_mut(), &removal_cookie(settings));
    }
    response
}

/// The answer for a failure, without the cookie handling that needs the layer's settings.
pub(crate) fn http_error_response<B>(
    error: &LoginError,
    context: &RequestContext,
) -> Response<ResponseBody<B>> {
    if let Some(content_type) = &context.grpc {
        return crate::grpc::error_response(error, context, content_type.clone());
    }
    let body =
        serde_json::to_vec(&error.body(context.lang, &context.request_id)).unwrap_or_default();
    let mut response = json_response(error.status(), body, context);
    let headers = response.headers_mut();
    if error.status() == StatusCode::UNAUTHORIZED {
        headers.insert(WWW_AUTHENTICATE, www_authenticate(error));
    }
    if error.status() == StatusCode::METHOD_NOT_ALLOWED {
        headers.insert(http::header::ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

fn www_authenticate(error: &LoginError) -> HeaderValue {
    if ends_session(error) {
        HeaderValue::from_static(r#"Bearer realm="silent-login", error="invalid_token""#)
    } else {
        HeaderValue::from_static(r#"Bearer realm="silent-login""#)
    }
}

/// A presented session that can never work again: clear the cookie.
fn ends_session(error: &LoginError) -> bool {
    [
        SilentLoginCode::SessionExpired,
        SilentLoginCode::SessionInvalid,
        SilentLoginCode::SessionRevoked,
        SilentLoginCode::SessionKeyUnknown,
    ]
    .into_iter()
    .any(|code| error.is(code))
}

/// The successful login's JSON (the design's contract).
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
    settings: &Settings,
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
    append_cookie(response.headers_mut(), &session_cookie(token, settings));
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
        headers.insert("x-request-id", id);
    }
    response
}

pub(crate) fn logout_response<B>(
    all: bool,
    context: &RequestContext,
    settings: &Settings,
) -> Response<ResponseBody<B>> {
    let body = serde_json::json!({ "logged_out": true, "all": all });
    let mut response = json_response(StatusCode::OK, body.to_string().into_bytes(), context);
    append_cookie(response.headers_mut(), &removal_cookie(settings));
    response
}

fn session_cookie(token: &str, settings: &Settings) -> cookie::Cookie<'static> {
    let config = &settings.cookie;
    let max_age = cookie::time::Duration::seconds(
        i64::try_from(settings.session_ttl.as_secs()).unwrap_or(i64::MAX),
    );
    let mut builder = cookie::Cookie::build((config.name.clone(), token.to_owned()))
        .http_only(true)
        .secure(config.secure)
        .same_site(config.same_site)
        .path(config.path.clone())
        .max_age(max_age);
    if let Some(domain) = &config.domain {
        builder = builder.domain(domain.clone());
    }
    builder.build()
}

fn removal_cookie(settings: &Settings) -> cookie::Cookie<'static> {
    let mut cookie = session_cookie("", settings);
    cookie.make_removal();
    cookie
}

fn append_cookie(headers: &mut HeaderMap, cookie: &cookie::Cookie<'_>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        headers.append(SET_COOKIE, value);
    }
}
