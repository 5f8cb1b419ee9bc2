//! Feishu/Lark's `open-apis` endpoints: the auth v3 token calls, the historic authen v1/oidc
//! exchange and refresh, the v2 OAuth token endpoint, and `user_info`.
//!
//! Token endpoints answer flat `{code, msg, …}`; authen v1 endpoints wrap the payload in `data`;
//! errors are HTTP 400 with `error.log_id`. The v2 OAuth endpoint answers flat, without `msg`,
//! and its errors are `{code, error, error_description}` with the HTTP status of its error
//! table. Every answer carries an `X-Tt-Logid` header.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::{json, Map, Value};

use crate::endpoint::Endpoint;
use crate::random;
use crate::state::{
    ApiError, AppCredentials, CodeGrant, OAuthTokenRequest, OAuthTokens, RefreshGrantRequest,
    Shared, State as EmulatorState, UserLogin,
};
use crate::user::MockUser;

/// The Feishu routes.
pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            Endpoint::FeishuAppAccessToken.path(),
            post(app_access_token),
        )
        .route(
            Endpoint::FeishuTenantAccessToken.path(),
            post(tenant_access_token),
        )
        .route(
            Endpoint::FeishuOidcAccessToken.path(),
            post(oidc_access_token),
        )
        .route(Endpoint::FeishuAccessTokenV1.path(), post(v1_access_token))
        .route(Endpoint::FeishuUserInfo.path(), get(user_info))
        .route(Endpoint::FeishuOAuthTokenV2.path(), post(oauth_token_v2))
        .route(
            Endpoint::FeishuOidcRefreshAccessToken.path(),
            post(oidc_refresh_access_token),
        )
}

/// An error of `authen/v2/oauth/token`: flat `{code, error, error_description}`, HTTP 400
/// except 20050 (500) and 20072 (503), per the endpoint's error table. `error` is the RFC 6749
/// name; only `server_error` (for 20050) is in the platform's docs, the others are UNVERIFIED.
pub(super) fn v2_error_response(code: i64, description: &str) -> Response {
    let (status, error) = match code {
        20050 => (StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
        20072 => (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
        20002 | 20048 => (StatusCode::BAD_REQUEST, "invalid_client"),
        20003 | 20004 | 20008 | 20010 | 20024 | 20026 | 20037 | 20049 | 20064 | 20065 | 20066
        | 20071 | 20073 => (StatusCode::BAD_REQUEST, "invalid_grant"),
        20009 | 20069 | 20074 => (StatusCode::BAD_REQUEST, "unauthorized_client"),
        20036 => (StatusCode::BAD_REQUEST, "unsupported_grant_type"),
        20067 | 20068 => (StatusCode::BAD_REQUEST, "invalid_scope"),
        _ => (StatusCode::BAD_REQUEST, "invalid_request"),
    };
    let body = json!({ "code": code, "error": error, "error_description": description });
    with_log_id((status, Json(body)).into_response(), &random::log_id())
}

/// A Feishu error: HTTP 400, `{code, msg, error:{log_id}}`.
pub(super) fn error_response(code: i64, msg: &str) -> Response {
    let log_id = random::log_id();
    let body = json!({ "code": code, "msg": msg, "error": { "log_id": log_id } });
    with_log_id(
        (StatusCode::BAD_REQUEST, Json(body)).into_response(),
        &log_id,
    )
}

fn ok(body: Value) -> Response {
    with_log_id(Json(body).into_response(), &random::log_id())
}

fn with_log_id(mut response: Response, log_id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(log_id) {
        response.headers_mut().insert("x-tt-logid", value);
    }
    response
}

fn answer(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(body) => ok(body),
        Err(e) => error_response(e.code, &e.msg),
    }
}

async fn app_access_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let credentials: Option<AppCredentials> = serde_json::from_slice(&body).ok();
    let result = shared.lock().feishu_app_access_token(credentials);
    answer(result.map(|(app, tenant)| {
        json!({
            "code": 0,
            "msg": "ok",
            "app_access_token": app.token,
            "expire": app.expires_in,
            "tenant_access_token": tenant.token,
        })
    }))
}

async fn tenant_access_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let credentials: Option<AppCredentials> = serde_json::from_slice(&body).ok();
    let result = shared.lock().feishu_tenant_access_token(credentials);
    answer(result.map(|tenant| {
        json!({ "code": 0, "msg": "ok", "tenant_access_token": tenant.token, "expire": tenant.expires_in })
    }))
}

async fn oidc_access_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let grant: Option<CodeGrant> = serde_json::from_slice(&body).ok();
    let result = shared.lock().feishu_exchange(bearer(&headers), grant);
    answer(result.map(|login| json!({ "code": 0, "msg": "success", "data": tokens(&login) })))
}

async fn v1_access_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let grant: Option<CodeGrant> = serde_json::from_slice(&body).ok();
    let result = shared.lock().feishu_exchange(bearer(&headers), grant);
    answer(result.map(|login| {
        let mut data = tokens(&login);
        data.extend(profile(&login.user));
        json!({ "code": 0, "msg": "success", "data": data })
    }))
}

async fn user_info(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let result = shared.lock().feishu_user(bearer(&headers));
    answer(result.map(|user| json!({ "code": 0, "msg": "success", "data": profile(&user) })))
}

async fn oidc_refresh_access_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let grant: Option<RefreshGrantRequest> = serde_json::from_slice(&body).ok();
    let result = shared.lock().feishu_oidc_refresh(bearer(&headers), grant);
    answer(result.map(|login| json!({ "code": 0, "msg": "success", "data": tokens(&login) })))
}

async fn oauth_token_v2(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = v2_request(&headers, &body);
    let basic_auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() >= 6 && v[..6].eq_ignore_ascii_case("basic "));
    let result = shared.lock().feishu_oauth_token_v2(basic_auth, request);
    match result {
        Ok(tokens) => ok(v2_tokens(&tokens)),
        Err(e) => v2_error_response(e.code, &e.msg),
    }
}

/// The body of a v2 token request: a form when the content type says so (the official CLI
/// posts forms: `internal/auth/uat_client.go` of <https://github.com/larksuite/cli>; undocumented
/// for v2), else JSON (documented). `None` when it does not parse.
fn v2_request(headers: &HeaderMap, body: &[u8]) -> Option<OAuthTokenRequest> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if form {
        serde_urlencoded::from_bytes(body).ok()
    } else {
        serde_json::from_slice(body).ok()
    }
}

/// The Feishu app a user-token refresh request names, or `None` when `endpoint` is not
/// refreshing here: `client_id` of a v2 `grant_type=refresh_token` request; the app of the app
/// token of an oidc refresh (`""` when the token names none).
pub(super) fn refreshing_app(
    state: &EmulatorState,
    endpoint: Endpoint,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<String> {
    match endpoint {
        Endpoint::FeishuOAuthTokenV2 => v2_request(headers, body)?
            .refreshing_app()
            .map(str::to_owned),
        Endpoint::FeishuOidcRefreshAccessToken => {
            Some(state.feishu_bearer_app(bearer(headers)).unwrap_or_default())
        }
        _ => None,
    }
}

/// The flat success body of the v2 token endpoint.
fn v2_tokens(tokens: &OAuthTokens) -> Value {
    let mut body = json!({
        "code": 0,
        "access_token": tokens.access_token,
        "expires_in": tokens.expires_in,
        "token_type": "Bearer",
        "scope": tokens.scope,
    });
    if let (Some((refresh_token, expires_in)), Value::Object(fields)) =
        (&tokens.refresh_token, &mut body)
    {
        fields.insert("refresh_token".into(), refresh_token.clone().into());
        fields.insert("refresh_token_expires_in".into(), (*expires_in).into());
    }
    body
}

/// The token fields of the authen v1/oidc exchanges and refresh.
fn tokens(login: &UserLogin) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("access_token".into(), login.access_token.clone().into());
    fields.insert("refresh_token".into(), login.refresh_token.clone().into());
    fields.insert("token_type".into(), "Bearer".into());
    fields.insert("expires_in".into(), login.expires_in.into());
    fields.insert("refresh_expires_in".into(), login.refresh_expires_in.into());
    fields.insert("scope".into(), login.scope.clone().into());
    fields
}

/// The profile fields of `user_info` (and of the historic v1 `access_token`).
fn profile(user: &MockUser) -> Map<String, Value> {
    let avatar = format!(
        "https://s1-imfile.feishucdn.com/static-resource/v1/mock-avatar-{}",
        user.id
    );
    let fields = json!({
        "name": user.name,
        "en_name": user.en_name,
        "avatar_url": avatar,
        "avatar_thumb": format!("{avatar}~?image_size=72x72"),
        "avatar_middle": format!("{avatar}~?image_size=240x240"),
        "avatar_big": format!("{avatar}~?image_size=640x640"),
        "open_id": user.open_id(),
        "union_id": user.union_id(),
        "user_id": user.id,
        "tenant_key": user.tenant_key,
        "email": format!("{}@example.com", user.id),
        "enterprise_email": format!("{}@{}.example.com", user.id, user.tenant_key.replace('_', "-")),
        "employee_no": format!("E{}", user.id.to_uppercase()),
    });
    match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The token of `Authorization: Bearer <token>`, if there is a non-empty one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}
