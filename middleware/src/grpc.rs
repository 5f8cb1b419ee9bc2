//! gRPC answers: Trailers-Only (HTTP 200, `grpc-status`, `grpc-message`) with
//! `google.rpc.ErrorInfo` details in `grpc-status-details-bin` (feature `grpc`).

use http::header::{HeaderValue, CONTENT_TYPE};
use http::Response;

use crate::body::ResponseBody;
use crate::error::LoginError;
use crate::respond::RequestContext;

/// `ErrorInfo.domain` of every error silent-login reports.
pub const ERROR_DOMAIN: &str = "silent-login";

pub(crate) fn error_response<B>(
    error: &LoginError,
    context: &RequestContext,
    content_type: HeaderValue,
) -> Response<ResponseBody<B>> {
    let mut response = Response::new(ResponseBody::empty());
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, content_type);
    if let Ok(id) = HeaderValue::from_str(&context.request_id) {
        headers.insert("x-request-id", id);
    }
    status_headers(error, context, headers);
    response
}

#[cfg(feature = "grpc")]
fn status_headers(error: &LoginError, context: &RequestContext, headers: &mut http::HeaderMap) {
    use std::collections::HashMap;
    use tonic_types::{ErrorDetails, StatusExt};

    let lang = context.lang;
    let entry_message = error.message(lang);
    let mut metadata = HashMap::from([
        ("provider".to_owned(), error.provider().to_owned()),
        ("errcode".to_owned(), error.errcode().to_string()),
        ("request_id".to_owned(), context.request_id.clone()),
    ]);
    if let Some(cause) = error.narrowed_cause() {
        metadata.insert("cause_id".to_owned(), cause.id().to_owned());
        metadata.insert("cause".to_owned(), cause.text(lang).to_owned());
    }
    if let Some(entry) = error.entry() {
        metadata.insert("solution".to_owned(), entry.solution.get(lang).to_owned());
    }
    if let Some(detail) = error.detail() {
        metadata.insert("detail".to_owned(), detail.to_owned());
    }
    let details = ErrorDetails::with_error_info(error.reason(), ERROR_DOMAIN, metadata);
    let status = tonic::Status::with_error_details(
        tonic::Code::from_i32(error.grpc_code()),
        entry_message,
        details,
    );
    if status.add_header(headers).is_err() {
        fallback_headers(error, headers);
    }
}

#[cfg(not(feature = "grpc"))]
fn status_headers(error: &LoginError, _context: &RequestContext, headers: &mut http::HeaderMap) {
    fallback_headers(error, headers);
}

/// `grpc-status` and an ASCII `grpc-message`, when the details cannot be encoded.
fn fallback_headers(error: &LoginError, headers: &mut http::HeaderMap) {
    headers.insert("grpc-status", HeaderValue::from(error.grpc_code()));
    if let Ok(message) = HeaderValue::from_str(&error.reason()) {
        headers.insert("grpc-message", message);
    }
}
