//! Fault injection: the middleware in front of every platform endpoint that counts the call
//! (and, for Feishu's user-token refreshes, the refresh) and, when a fault is queued for that
//! endpoint, misbehaves once instead of (or before) answering.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, StatusCode};
use silent_login_catalog::ProviderKind;

use super::{dingtalk, feishu};
use crate::endpoint::Endpoint;
use crate::fault::Fault;
use crate::server::ResetConnection;
use crate::state::Shared;

/// The largest request body read to count a refresh; a larger one reaches the endpoint empty
/// (and is refused as malformed).
const BODY_LIMIT: usize = 1024 * 1024;

/// Counts the call and applies the next queued fault, if any.
pub(super) async fn apply(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(endpoint) = Endpoint::from_path(request.uri().path()) else {
        return next.run(request).await;
    };
    let request = count_refresh(&shared, endpoint, request).await;
    let fault = shared.lock().record_call(endpoint);
    let Some(fault) = fault else {
        return next.run(request).await;
    };
    tracing::debug!(%endpoint, ?fault, "injecting fault");
    match fault {
        Fault::Latency(delay) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        Fault::HttpStatus(status) => status_page(status),
        Fault::GarbledJson => garbled(endpoint),
        Fault::ConnectionReset => {
            let mut response = Response::new(Body::empty());
            response.extensions_mut().insert(ResetConnection);
            response
        }
        Fault::ErrorCode { code, message } => match endpoint.provider() {
            ProviderKind::DingTalk => dingtalk::error_response(endpoint, code, &message),
            ProviderKind::Feishu | ProviderKind::Lark
                if endpoint == Endpoint::FeishuOAuthTokenV2 =>
            {
                feishu::v2_error_response(code, &message)
            }
            ProviderKind::Feishu | ProviderKind::Lark => feishu::error_response(code, &message),
        },
    }
}

/// Counts a Feishu user-token refresh before any fault answers for the endpoint, so a refresh
/// the client sent counts even when a fault swallowed it. Reads the body of the two endpoints
/// that refresh, and hands the request on with the same body.
async fn count_refresh(shared: &Shared, endpoint: Endpoint, request: Request) -> Request {
    if !matches!(
        endpoint,
        Endpoint::FeishuOAuthTokenV2 | Endpoint::FeishuOidcRefreshAccessToken
    ) {
        return request;
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .unwrap_or_default();
    {
        let mut state = shared.lock();
        if let Some(app) = feishu::refreshing_app(&state, endpoint, &parts.headers, &bytes) {
            state.record_refresh(&app);
        }
    }
    Request::from_parts(parts, Body::from(bytes))
}

/// A gateway's error page, as nginx in front of the platform would answer.
fn status_page(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = status.canonical_reason().unwrap_or("Error");
    let code = status.as_u16();
    let html = format!(
        "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
    );
    (status, [(header::CONTENT_TYPE, "text/html")], html).into_response()
}

/// A success envelope cut off mid-body.
fn garbled(endpoint: Endpoint) -> Response {
    let body = match endpoint.provider() {
        ProviderKind::DingTalk => r#"{"errcode":0,"errmsg":"ok","access_tok"#,
        ProviderKind::Feishu | ProviderKind::Lark if endpoint == Endpoint::FeishuOAuthTokenV2 => {
            r#"{"code":0,"access_token":"eyJhbGci"#
        }
        ProviderKind::Feishu | ProviderKind::Lark => r#"{"code":0,"msg":"success","data":{"acc"#,
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
