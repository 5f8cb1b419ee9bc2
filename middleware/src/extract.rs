//! axum extractors: `Identity` (refuses with the catalog error, as the layer would) and
//! `Option<Identity>`, `Option<SessionInfo>`.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use silent_login_catalog::{Lang, SilentLoginCode};

use crate::error::LoginError;
use crate::identity::Identity;
use crate::respond::{error_response, http_error_response, Refusal, RequestContext};
use crate::session::SessionInfo;

/// The rejection of the [`Identity`] extractor: the same answer the layer gives a request
/// without a valid session (status, `WWW-Authenticate`, the catalog body in the request's
/// language).
#[derive(Debug)]
pub struct IdentityRejection {
    refusal: Option<Refusal>,
    error: LoginError,
    context: RequestContext,
}

impl IdentityRejection {
    /// The error behind the rejection.
    pub fn error(&self) -> &LoginError {
        &self.error
    }
}

impl IntoResponse for IdentityRejection {
    fn into_response(self) -> Response {
        let response = match &self.refusal {
            Some(refusal) => error_response::<http_body_util::Empty<bytes::Bytes>>(
                &refusal.error,
                &refusal.context,
                &refusal.settings,
            ),
            None => http_error_response::<http_body_util::Empty<bytes::Bytes>>(
                &self.error,
                &self.context,
            ),
        };
        response.map(axum::body::Body::new)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Identity {
    type Rejection = IdentityRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(identity) = parts.extensions.get::<Identity>() {
            return Ok(identity.clone());
        }
        let refusal = parts.extensions.get::<Refusal>().cloned();
        let (error, context) = match &refusal {
            Some(refusal) => (refusal.error.clone(), refusal.context.clone()),
            None => (
                LoginError::new(SilentLoginCode::SessionMissing)
                    .with_detail("this route is not behind SilentLoginLayer"),
                RequestContext::from_headers(&parts.headers, Lang::En),
            ),
        };
        Err(IdentityRejection {
            refusal,
            error,
            context,
        })
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
        let context = RequestContext {
            lang: Lang::En,
            request_id: crate::session::random_id(),
            grpc: None,
        };
        http_error_response::<http_body_util::Empty<bytes::Bytes>>(&self, &context)
            .map(axum::body::Body::new)
    }
}
