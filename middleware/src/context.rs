//! What every answer to a request needs to know about it: its language, its request id, and
//! whether it is a gRPC call (the one place that decides).

use http::header::{ACCEPT_LANGUAGE, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue};
use silent_login_catalog::Lang;

use crate::config::Config;

/// The header a request id is read from and echoed in.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// Per-request facts every answer needs.
#[derive(Clone, Debug)]
pub(crate) struct RequestContext {
    pub(crate) lang: Lang,
    pub(crate) request_id: String,
    /// The request's gRPC content type, when it is a gRPC (or gRPC-Web) call.
    pub(crate) grpc: Option<HeaderValue>,
    /// Whether error answers carry `detail` and the platform's raw answer (development only).
    pub(crate) expose_details: bool,
}

impl RequestContext {
    /// The context of a request with these headers; `default_lang` when `Accept-Language` names
    /// neither English nor Chinese.
    pub(crate) fn of(headers: &HeaderMap, default_lang: Lang) -> Self {
        let lang = headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .and_then(Lang::negotiate)
            .unwrap_or(default_lang);
        Self {
            lang,
            request_id: request_id(headers),
            grpc: grpc_content_type(headers).cloned(),
            expose_details: false,
        }
    }

    /// The context of a request the layer answers: its language falls back to the layer's
    /// `default_lang`, and its error answers carry `detail` and `upstream` when the layer
    /// exposes them.
    pub(crate) fn for_layer(headers: &HeaderMap, config: &Config) -> Self {
        Self {
            expose_details: config.expose_error_details,
            ..Self::of(headers, config.default_lang)
        }
    }

    /// A context for an answer written outside any request (a bare `IntoResponse`).
    pub(crate) fn detached(lang: Lang) -> Self {
        Self {
            lang,
            request_id: crate::secret::random_id(),
            grpc: None,
            expose_details: false,
        }
    }
}

/// The content type of a gRPC (or gRPC-Web) call; `None` for anything else.
pub(crate) fn grpc_content_type(headers: &HeaderMap) -> Option<&HeaderValue> {
    headers
        .get(CONTENT_TYPE)
        .filter(|value| value.as_bytes().starts_with(b"application/grpc"))
}

/// The caller's request id when it is a sane one, else a new one.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(crate::secret::random_id, str::to_owned)
}
