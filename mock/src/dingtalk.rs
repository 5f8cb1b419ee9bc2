//! DingTalk's `oapi.dingtalk.com` endpoints: `gettoken` and the two `getuserinfo` exchanges.
//!
//! Every answer is HTTP 200 with a flat `{errcode, errmsg, …}` body and an `x-acs-request-id`
//! header; the topapi endpoint also carries `request_id` in the body.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::{header, HeaderMap, HeaderValue};
use serde_json::{json, Value};

use crate::endpoint::Endpoint;
use crate::ids;
use crate::model::{MockUser, Provider, UserStatus};
use crate::state::{ApiError, Shared, State as PlatformState, TokenKind};

/// Access-token lifetime, seconds.
const TOKEN_LIFETIME: u64 = 7200;

/// `errcode` values this emulator answers with.
mod errcode {
    pub(super) const BAD_CREDENTIALS: i64 = 40089;
    pub(super) const BAD_TOKEN: i64 = 40014;
    pub(super) const MISSING_TOKEN: i64 = 41001;
    pub(super) const MISSING_CODE: i64 = 41026;
    pub(super) const NO_SUCH_CODE: i64 = 40078;
    pub(super) const NO_AUTH_INFO: i64 = 40079;
    pub(super) const RATE_LIMITED: i64 = 90002;
}

/// The DingTalk routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
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
pub(crate) fn error_response(endpoint: Endpoint, code: i64, msg: &str) -> Response {
    let body = json!({ "errcode": code, "errmsg": msg });
    match endpoint {
        Endpoint::DingTalkGetUserInfoV2 => topapi(body),
        _ => reply(body, &ids::request_id()),
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
    let request_id = ids::request_id();
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
            json!({ "errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": TOKEN_LIFETIME }),
            &ids::request_id(),
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
            &ids::request_id(),
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

impl PlatformState {
    /// `gettoken`: the app's token, the same one (renewed) while it is valid.
    fn dingtalk_token(&mut self, key: &str, secret: &str) -> Result<String, ApiError> {
        if self.rate_limited(Provider::DingTalk, key) {
            let msg = format!(
                "接口调用超过限制：应用每秒调用gettoken超过{}次，已被限流，请稍后重试",
                self.token_rate_limit
            );
            return Err(ApiError::new(errcode::RATE_LIMITED, msg));
        }
        match self.dingtalk_apps.get(key) {
            Some(app) if !secret.is_empty() && app.app_secret == secret => {}
            _ => {
                return Err(ApiError::new(
                    errcode::BAD_CREDENTIALS,
                    "不合法的corpid或corpsecret",
                ))
            }
        }
        let lifetime = Duration::from_secs(TOKEN_LIFETIME);
        let now = self.clock.now();
        if let Some((token, issued)) = self.current_token(TokenKind::DingTalk, key) {
            issued.expires_at = now + lifetime;
            return Ok(token);
        }
        Ok(self.new_app_token(TokenKind::DingTalk, key, ids::hex(32), lifetime))
    }

    /// `getuserinfo`: the user a code was minted for, by the rules of the real endpoint.
    fn dingtalk_exchange(
        &mut self,
        token: Option<&str>,
        code: Option<&str>,
    ) -> Result<MockUser, ApiError> {
        let token = token.filter(|t| !t.is_empty());
        let token =
            token.ok_or_else(|| ApiError::new(errcode::MISSING_TOKEN, "缺少access_token参数"))?;
        let now = self.clock.now();
        let app = match self.token(token) {
            Some(t) if t.kind == TokenKind::DingTalk && t.expires_at > now => t.app.clone(),
            _ => return Err(ApiError::new(errcode::BAD_TOKEN, "不合法的access_token")),
        };
        let code =
            code.ok_or_else(|| ApiError::new(errcode::MISSING_CODE, "缺少tmp_auth_code参数"))?;
        let no_such_code = || ApiError::new(errcode::NO_SUCH_CODE, "不存在的临时授权码");
        let issued = self
            .take_code(Provider::DingTalk, code)
            .ok_or_else(no_such_code)?;
        if !issued.kind.is_silent_login() || issued.app != app {
            return Err(no_such_code());
        }
        let no_auth = || ApiError::new(errcode::NO_AUTH_INFO, "不存在的授权信息");
        let user = self.users.get(&issued.user).ok_or_else(no_auth)?;
        if !self.is_visible(Provider::DingTalk, user) || user.status != UserStatus::Active {
            return Err(no_auth());
        }
        Ok(user.clone())
    }
}
