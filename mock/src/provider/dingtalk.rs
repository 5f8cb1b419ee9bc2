//! DingTalk's `oapi.dingtalk.com` endpoints: `gettoken` and the two `getuserinfo` exchanges.
//!
//! Every answer is HTTP 200 with a flat `{errcode, errmsg, …}` body and an `x-acs-request-id`
//! header; the topapi endpoint also carries `request_id` in the body.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::{header, HeaderMap, HeaderValue};
use serde_json::{json, Value};

use crate::endpoint::Endpoint;
use crate::random;
use crate::state::Shared;
use crate::user::MockUser;

/// The DingTalk routes.
pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(Endpoint::DingTalkGetToken.path(), get(get_token))
        .route(
            Endpoint::DingTalkGetUserInfoV2.path(),
            post(get_user_info_v2),
        )
        .route(
            Endpoint::DingTalkGetUserInfoLegacy.path(),
            get(get_user_info_legacy),
        )
}

/// A DingTalk error in `endpoint`'s envelope (HTTP 200).
pub(super) fn error_response(endpoint: Endpoint, code: i64, msg: &str) -> Response {
    let body = json!({ "errcode": code, "errmsg": msg });
    match endpoint {
        Endpoint::DingTalkGetUserInfoV2 => topapi(body),
        _ => reply(body, &random::request_id()),
    }
}

fn reply(body: Value, request_id: &str) -> Response {
    let mut response = Json(body).into_response();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-acs-request-id", value);
    }
    response
}

/// A topapi answer: `request_id` in the body and in the header.
fn topapi(mut body: Value) -> Response {
    let request_id = random::request_id();
    body["request_id"] = Value::String(request_id.clone());
    reply(body, &request_id)
}

fn query_map(query: Option<&str>) -> HashMap<String, String> {
    query
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default()
}

async fn get_token(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let params = query_map(query.as_deref());
    let key = params.get("appkey").map(String::as_str).unwrap_or_default();
    let secret = params
        .get("appsecret")
        .map(String::as_str)
        .unwrap_or_default();
    let result = shared.lock().dingtalk_token(key, secret);
    match result {
        Ok(token) => reply(
            json!({ "errcode": 0, "errmsg": "ok", "access_token": token.token, "expires_in": token.expires_in }),
            &random::request_id(),
        ),
        Err(e) => error_response(Endpoint::DingTalkGetToken, e.code, &e.msg),
    }
}

async fn get_user_info_v2(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = query_map(query.as_deref());
    let code = code_from_body(&headers, &body).or_else(|| params.get("code").cloned());
    let result = shared.lock().dingtalk_exchange(
        params.get("access_token").map(String::as_str),
        code.as_deref(),
    );
    match result {
        Ok(user) => topapi(json!({
            "errcode": 0,
            "errmsg": "ok",
            "result": {
                "userid": user.id,
                "unionid": user.dingtalk_unionid(),
                "associated_unionid": "",
                "device_id": device_id(&user),
                "sys": user.admin,
                "sys_level": sys_level(&user),
                "name": user.name,
            },
        })),
        Err(e) => error_response(Endpoint::DingTalkGetUserInfoV2, e.code, &e.msg),
    }
}

async fn get_user_info_legacy(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = query_map(query.as_deref());
    let result = shared.lock().dingtalk_exchange(
        params.get("access_token").map(String::as_str),
        params.get("code").map(String::as_str),
    );
    match result {
        Ok(user) => reply(
            json!({
                "errcode": 0,
                "errmsg": "ok",
                "userid": user.id,
                "deviceId": device_id(&user),
                "is_sys": user.admin,
                "sys_level": sys_level(&user),
                "name": user.name,
            }),
            &random::request_id(),
        ),
        Err(e) => error_response(Endpoint::DingTalkGetUserInfoLegacy, e.code, &e.msg),
    }
}

/// The code from a JSON (`{"code":…}`) or form (`code=…`) body.
fn code_from_body(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let code = if is_json {
        serde_json::from_slice::<Value>(body)
            .ok()?
            .get("code")?
            .as_str()
            .map(str::to_owned)
    } else {
        serde_urlencoded::from_bytes::<HashMap<String, String>>(body)
            .ok()?
            .remove("code")
    };
    code.filter(|c| !c.is_empty())
}

fn device_id(user: &MockUser) -> String {
    format!("mock-device-{}", user.id)
}

fn sys_level(user: &MockUser) -> u8 {
    if user.admin {
        1
    } else {
        0
    }
}
