//! axum extractors (feature `axum`, through `axum-core`): `Identity` refuses with the catalog
//! error exactly as the layer would; `Option<Identity>` and `Option<SessionInfo>` never refuse.

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use silent_login_catalog::Lang;

use crate::context::RequestContext;
use crate::error::LoginError;
use crate::identity::Identity;
use crate::rejection::IdentityRejection;
use crate::respond::http_error_response;
use crate::session::SessionInfo;

impl IntoResponse for IdentityRejection {
    fn into_response(self) -> Response {
        IdentityRejection::into_response::<http_body_util::Empty<bytes::Bytes>>(self)
            .map(axum_core::body::Body::new)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Identity {
    type Rejection = IdentityRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(identity) = parts.extensions.get::<Identity>() {
            return Ok(identity.clone());
        }
        Err(parts
            .extensions
            .get::<IdentityRejection>()
            .cloned()
            .unwrap_or_else(|| {
                // Not behind the layer: still answered in the caller's language and request id.
                let mut context = RequestContext::of(&parts.headers, Lang::En);
                context.grpc = None;
                IdentityRejection::not_behind_layer(context)
            }))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Identity {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Identity>().cloned())
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for SessionInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<SessionInfo>().cloned())
    }
}

/// `LoginError` as an axum response: the JSON error body in English.
impl IntoResponse for LoginError {
    fn into_response(self) -> Response {
        let context = RequestContext::detached(Lang::En);
        http_error_response::<http_body_util::Empty<bytes::Bytes>>(&self, &context)
            .map(axum_core::body::Body::new)
    }
}
