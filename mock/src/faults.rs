//! Fault injection: the middleware in front of every platform endpoint that counts the call
//! and, when a fault is queued for that endpoint, misbehaves once instead of (or before) answering.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, StatusCode};
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::model::Provider;
use crate::state::Shared;
use crate::{dingtalk, feishu};

/// A way for one call to an endpoint to go wrong.
///
/// In the control API a fault is JSON tagged by `kind`: `{"kind":"latency","ms":500}`,
/// `{"kind":"http_status","status":503}`, `{"kind":"garbled_json"}`,
/// `{"kind":"connection_reset"}`, `{"kind":"error_code","code":-1,"message":"系统繁忙"}`.
///
/// Except for `Latency`, a fault answers before the endpoint runs, so a code sent with a faulted
/// call is not consumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "FaultSpec", from = "FaultSpec")]
pub enum Fault {
    /// Wait this long, then answer normally.
    Latency(Duration),
    /// Answer with this HTTP status and a gateway's HTML error page.
    HttpStatus(u16),
    /// Answer `200` with a truncated JSON body.
    GarbledJson,
    /// Close the TCP connection (with a reset) without answering.
    ConnectionReset,
    /// Answer with this platform error code in the endpoint's own envelope.
    ErrorCode {
        /// The platform error code (DingTalk `errcode`, Feishu `code`).
        code: i64,
        /// The message (`errmsg` / `msg`).
        message: String,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum FaultSpec {
    Latency { ms: u64 },
    HttpStatus { status: u16 },
    GarbledJson,
    ConnectionReset,
    ErrorCode { code: i64, message: String },
}

impl From<Fault> for FaultSpec {
    fn from(fault: Fault) -> Self {
        match fault {
            Fault::Latency(d) => Self::Latency {
                ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
            },
            Fault::HttpStatus(status) => Self::HttpStatus { status },
            Fault::GarbledJson => Self::GarbledJson,
            Fault::ConnectionReset => Self::ConnectionReset,
            Fault::ErrorCode { code, message } => Self::ErrorCode { code, message },
        }
    }
}

impl From<FaultSpec> for Fault {
    fn from(spec: FaultSpec) -> Self {
        match spec {
            FaultSpec::Latency { ms } => Self::Latency(Duration::from_millis(ms)),
            FaultSpec::HttpStatus { status } => Self::HttpStatus(status),
            FaultSpec::GarbledJson => Self::GarbledJson,
            FaultSpec::ConnectionReset => Self::ConnectionReset,
            FaultSpec::ErrorCode { code, message } => Self::ErrorCode { code, message },
        }
    }
}

/// Marks a response whose connection the server must drop instead of answering.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResetConnection;

/// Counts the call and applies the next queued fault, if any.
pub(crate) async fn apply(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(endpoint) = Endpoint::from_path(request.uri().path()) else {
        return next.run(request).await;
    };
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
        Fault::GarbledJson => garbled(endpoint.provider()),
        Fault::ConnectionReset => {
            let mut response = Response::new(Body::empty());
            response.extensions_mut().insert(ResetConnection);
            response
        }
        Fault::ErrorCode { code, message } => match endpoint.provider() {
            Provider::DingTalk => dingtalk::error_response(endpoint, code, &message),
            Provider::Feishu => feishu::error_response(code, &message),
        },
    }
}

fn status_page(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = status.canonical_reason().unwrap_or("Error");
    let code = status.as_u16();
    let html = format!(
        "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
    );
    (status, [(header::CONTENT_TYPE, "text/html")], html).into_response()
}

fn garbled(provider: Provider) -> Response {
    let body = match provider {
        Provider::DingTalk => r#"{"errcode":0,"errmsg":"ok","access_tok"#,
        Provider::Feishu => r#"{"code":0,"msg":"success","data":{"acc"#,
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
