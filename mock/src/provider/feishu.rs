//! Feishu/Lark's `open-apis` endpoints: the auth v3 token calls and the authen v1 exchange.
//!
//! Token endpoints answer flat `{code, msg, …}`; authen endpoints wrap the payload in `data`.
//! Every answer carries an `X-Tt-Logid` header; errors are HTTP 400 with `error.log_id`.

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
use crate::state::{ApiError, AppCredentials, CodeGrant, Shared, UserLogin};
use crate::user::MockUser;

/// Refresh token lifetime reported with user tokens, seconds.
const REFRESH_TOKEN_LIFETIME: u64 = 2_592_000;
/// The scope reported with user tokens.
const USER_SCOPE: &str = "auth:user.id:read";

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

/// The token fields of the authen exchanges.
fn tokens(login: &UserLogin) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("access_token".into(), login.access_token.clone().into());
    fields.insert("refresh_token".into(), login.refresh_token.clone().into());
    fields.insert("token_type".into(), "Bearer".into());
    fields.insert("expires_in".into(), login.expires_in.into());
    fields.insert("refresh_expires_in".into(), REFRESH_TOKEN_LIFETIME.into());
    fields.insert("scope".into(), USER_SCOPE.into());
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
