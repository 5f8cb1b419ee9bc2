//! axum extractors (feature `axum`, through `axum-core`): `Identity` refuses with the catalog
//! error exactly as the layer would; `Option<Identity>` and `Option<SessionInfo>` never refuse;
//! `UserAccessToken` gets the session's user token (refreshed when needed) or refuses with the
//! catalog error that says why not.

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
use crate::user_token::{UserAccessToken, UserTokens};

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

impl<S: Send + Sync> FromRequestParts<S> for UserAccessToken {
    type Rejection = IdentityRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // Without a session, exactly the layer's refusal.
        <Identity as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        let context = || RequestContext::of(&parts.headers, Lang::En);
        let (Some(tokens), Some(session)) = (
            parts.extensions.get::<UserTokens>(),
            parts.extensions.get::<SessionInfo>(),
        ) else {
            let error = LoginError::new(silent_login_catalog::SilentLoginCode::Misconfigured)
                .with_detail(crate::error::Detail::new(
                    "a handler asks for the user's token, but the layer keeps none: call SilentLoginLayer::keep_user_tokens",
                    "处理函数需要用户令牌，但本层没有保存：请调用 SilentLoginLayer::keep_user_tokens",
                ));
            tracing::error!(
                "{}",
                error
                    .detail()
                    .map(crate::error::Detail::en)
                    .unwrap_or_default()
            );
            return Err(IdentityRejection::new(error, context(), None));
        };
        match tokens.get(session).await {
            Ok(token) => Ok(token),
            Err(error) => {
                tracing::info!(errcode = error.errcode(), session = %session.id, "no user token for the handler: {error}");
                Err(IdentityRejection::new(error, context(), None))
            }
        }
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
