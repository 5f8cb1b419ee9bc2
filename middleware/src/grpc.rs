//! gRPC: the metadata a login travels in, and errors as Trailers-Only answers (HTTP 200,
//! `grpc-status`, `grpc-message`). Both work without any feature; the `grpc-error-details`
//! feature adds `google.rpc.ErrorInfo` details in `grpc-status-details-bin` (tonic-types).

use http::header::{HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Response};

use crate::body::ResponseBody;
use crate::context::{RequestContext, REQUEST_ID};
use crate::error::LoginError;

/// The gRPC metadata that carries a login code.
pub const GRPC_AUTH_CODE: &str = "x-auth-code";
/// The gRPC response header that carries the new session token.
pub const GRPC_SESSION_TOKEN: &str = "x-session-token";
/// `ErrorInfo.domain` of every error silent-login reports.
pub const ERROR_DOMAIN: &str = "silent-login";

/// The Trailers-Only answer for a failed gRPC call.
pub(crate) fn error_response<B>(
    error: &LoginError,
    context: &RequestContext,
    content_type: HeaderValue,
) -> Response<ResponseBody<B>> {
    let mut response = Response::new(ResponseBody::empty());
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, content_type);
    if let Ok(id) = HeaderValue::from_str(&context.request_id) {
        headers.insert(REQUEST_ID, id);
    }
    status_headers(error, context, headers);
    response
}

#[cfg(feature = "grpc-error-details")]
fn status_headers(error: &LoginError, context: &RequestContext, headers: &mut HeaderMap) {
    use std::collections::HashMap;
    use tonic_types::{ErrorDetails, StatusExt};

    let lang = context.lang;
    let mut metadata = HashMap::from([
        ("provider".to_owned(), error.provider().to_owned()),
        ("errcode".to_owned(), error.errcode().to_string()),
        ("request_id".to_owned(), context.request_id.clone()),
    ]);
    if let Some(cause) = error.narrowed_cause() {
        metadata.insert("cause_id".to_owned(), cause.id().to_owned());
        metadata.insert("cause".to_owned(), cause.text(lang).to_owned());
        metadata.insert(
            "cause_source".to_owned(),
            cause.source().as_str().to_owned(),
        );
    }
    if let Some(entry) = error.entry() {
        metadata.insert("solution".to_owned(), entry.solution.get(lang).to_owned());
    }
    if let Some(detail) = error.detail().filter(|_| context.expose_details) {
        metadata.insert("detail".to_owned(), detail.get(lang).to_owned());
    }
    let details = ErrorDetails::with_error_info(error.reason(), ERROR_DOMAIN, metadata);
    let status = tonic::Status::with_error_details(
        tonic::Code::from_i32(error.grpc_code()),
        if context.expose_details {
            error.message(lang)
        } else {
            error.public_message(lang)
        },
        details,
    );
    if status.add_header(headers).is_err() {
        plain_status_headers(error, headers);
    }
}

#[cfg(not(feature = "grpc-error-details"))]
fn status_headers(error: &LoginError, _context: &RequestContext, headers: &mut HeaderMap) {
    plain_status_headers(error, headers);
}

/// `grpc-status` and an ASCII `grpc-message` (the `ErrorInfo.reason`), without details.
fn plain_status_headers(error: &LoginError, headers: &mut HeaderMap) {
    headers.insert("grpc-status", HeaderValue::from(error.grpc_code()));
    if let Ok(message) = HeaderValue::from_str(&error.reason()) {
        headers.insert("grpc-message", message);
    }
}
