//! `IdentityRejection`: a request without a valid session, as the layer would have answered it.
//! In optional mode the layer puts it in the request's extensions instead of answering, so a
//! handler (or the axum `Identity` extractor) can still answer exactly as the layer would.

use http::header::SET_COOKIE;
use http::{HeaderValue, Response, StatusCode};
use silent_login_catalog::{Lang, SilentLoginCode};

use crate::body::ResponseBody;
use crate::context::RequestContext;
use crate::error::{Detail, LoginError};
use crate::respond::{error_body_json, http_error_response};

/// Why a request has no [`Identity`](crate::Identity): its status, the catalog body in the
/// request's language, and the cookie removal when the presented session is dead — like axum's
/// rejections.
///
/// ```
/// use silent_login::IdentityRejection;
///
/// let rejection = IdentityRejection::missing();
/// assert_eq!(rejection.status(), http::StatusCode::UNAUTHORIZED);
/// assert!(rejection.body_text().contains("\"errcode\":700201"));
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[error("{error}")]
pub struct IdentityRejection {
    #[source]
    error: LoginError,
    context: RequestContext,
    /// Clears the session cookie when the presented session can never work again.
    cookie_removal: Option<HeaderValue>,
}

impl IdentityRejection {
    pub(crate) fn new(
        error: LoginError,
        context: RequestContext,
        cookie_removal: Option<HeaderValue>,
    ) -> Self {
        Self {
            error,
            context,
            cookie_removal,
        }
    }

    /// The rejection of a request that never went through [`SilentLoginLayer`](crate::SilentLoginLayer).
    pub fn missing() -> Self {
        Self::not_behind_layer(RequestContext::detached(Lang::En))
    }

    /// [`IdentityRejection::missing`], answered with `context`.
    pub(crate) fn not_behind_layer(context: RequestContext) -> Self {
        let error = LoginError::new(SilentLoginCode::SessionMissing).with_detail(Detail::new(
            "this route is not behind SilentLoginLayer",
            "这个路由没有经过 SilentLoginLayer",
        ));
        Self::new(error, context, None)
    }

    /// The error behind the rejection.
    pub fn error(&self) -> &LoginError {
        &self.error
    }

    /// The HTTP status it is answered with.
    pub fn status(&self) -> StatusCode {
        self.error.status()
    }

    /// The JSON error body, in the request's language.
    pub fn body_text(&self) -> String {
        String::from_utf8(error_body_json(&self.error, &self.context)).unwrap_or_default()
    }

    /// The whole answer: status, headers (`WWW-Authenticate`, the cookie removal) and body — or
    /// a Trailers-Only status for a gRPC call.
    pub fn into_response<B>(self) -> Response<ResponseBody<B>> {
        let mut response = http_error_response(&self.error, &self.context);
        if let Some(removal) = self.cookie_removal {
            response.headers_mut().append(SET_COOKIE, removal);
        }
        response
    }
}
