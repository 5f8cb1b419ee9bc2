//! axum extractors: `Identity` (refuses with the catalog error) and `Option<Identity>`.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use silent_login_catalog::{Lang, SilentLoginCode};

use crate::error::LoginError;
use crate::identity::Identity;
use crate::session::Session;

/// The rejection of the [`Identity`] extractor: the catalog's "no session" error, in the
/// language the request prefers.
#[derive(Debug)]
pub struct IdentityRejection {
    error: LoginError,
    lang: Lang,
}

impl IntoResponse for IdentityRejection {
    fn into_response(self) -> Response {
        json_error(&self.error, self.lang)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Identity {
    type Rejection = IdentityRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Identity>()
            .cloned()
            .ok_or_else(|| IdentityRejection {
                error: LoginError::new(SilentLoginCode::SessionMissing).with_detail(
                    "this route is not behind SilentLoginLayer, or the layer runs in optional mode",
                ),
                lang: parts
                    .headers
                    .get(http::header::ACCEPT_LANGUAGE)
                    .and_then(|value| value.to_str().ok())
                    .map(Lang::from_accept_language)
                    .unwrap_or_default(),
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

impl<S: Send + Sync> OptionalFromRequestParts<S> for Session {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Session>().cloned())
    }
}

/// `LoginError` as an axum response: the JSON error body in English.
impl IntoResponse for LoginError {
    fn into_response(self) -> Response {
        json_error(&self, Lang::En)
    }
}

fn json_error(error: &LoginError, lang: Lang) -> Response {
    let body =
        serde_json::to_vec(&error.body(lang, &crate::session::random_id())).unwrap_or_default();
    (
        error.status(),
        [(
            http::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
