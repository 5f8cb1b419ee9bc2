//! Feishu/Lark's `open-apis` endpoints: the auth v3 token calls and the authen v1 exchange.
//!
//! Token endpoints answer flat `{code, msg, …}`; authen endpoints wrap the payload in `data`.
//! Every answer carries an `X-Tt-Logid` header; errors are HTTP 400 with `error.log_id`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::clock::secs_until;
use crate::endpoint::Endpoint;
use crate::ids;
use crate::model::{MockUser, Provider, UserStatus};
use crate::state::{ApiError, Shared, State as PlatformState, TokenKind};

/// App and tenant token lifetime, seconds.
const APP_TOKEN_LIFETIME: u64 = 7200;
/// Below this many seconds left, a token call issues a new token.
const RENEW_BELOW: u64 = 30 * 60;
/// User access token lifetime, seconds.
const USER_TOKEN_LIFETIME: u64 = 6900;
/// Refresh token lifetime, seconds.
const REFRESH_TOKEN_LIFETIME: u64 = 2_592_000;
/// The scope reported with user tokens.
const USER_SCOPE: &str = "auth:user.id:read";

/// `code` values this emulator answers with.
mod code {
    pub(super) const UNKNOWN_APP: i64 = 10012;
    pub(super) const BAD_SECRET: i64 = 10015;
    pub(super) const RATE_LIMITED: i64 = 99_991_400;
    pub(super) const MISSING_TOKEN: i64 = 99_991_661;
    pub(super) const BAD_APP_TOKEN: i64 = 99_991_664;
    pub(super) const BAD_USER_TOKEN: i64 = 99_991_668;
    pub(super) const MALFORMED_TOKEN: i64 = 99_991_671;
    pub(super) const EXPIRED_TOKEN: i64 = 99_991_677;
    pub(super) const INVALID_REQUEST: i64 = 20001;
    pub(super) const CODE_FAIL: i64 = 20007;
    pub(super) const NO_PERMISSION: i64 = 20010;
    pub(super) const RESIGNED: i64 = 20021;
    pub(super) const FROZEN: i64 = 20022;
    pub(super) const OTHER_APP: i64 = 20024;
}

/// The Feishu routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
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
pub(crate) fn error_response(code: i64, msg: &str) -> Response {
    let log_id = ids::log_id();
    let body = json!({ "code": code, "msg": msg, "error": { "log_id": log_id } });
    with_log_id(
        (StatusCode::BAD_REQUEST, Json(body)).into_response(),
        &log_id,
    )
}

fn ok(body: Value) -> Response {
    with_log_id(Json(body).into_response(), &ids::log_id())
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
    let mut state = shared.lock();
    let result = state.feishu_credentials(&body).map(|app| {
        let (app_token, expire) = state.feishu_app_token(TokenKind::FeishuApp, &app);
        let (tenant_token, _) = state.feishu_app_token(TokenKind::FeishuTenant, &app);
        json!({
            "code": 0,
            "msg": "ok",
            "app_access_token": app_token,
            "expire": expire,
            "tenant_access_token": tenant_token,
        })
    });
    drop(state);
    answer(result)
}

async fn tenant_access_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let mut state = shared.lock();
    let result = state.feishu_credentials(&body).map(|app| {
        let (token, expire) = state.feishu_app_token(TokenKind::FeishuTenant, &app);
        json!({ "code": 0, "msg": "ok", "tenant_access_token": token, "expire": expire })
    });
    drop(state);
    answer(result)
}

async fn oidc_access_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = shared.lock().feishu_exchange(&headers, &body);
    answer(result.map(|(_, tokens)| json!({ "code": 0, "msg": "success", "data": tokens })))
}

async fn v1_access_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = shared.lock().feishu_exchange(&headers, &body);
    answer(result.map(|(user, mut data)| {
        data.extend(profile(&user));
        json!({ "code": 0, "msg": "success", "data": data })
    }))
}

async fn user_info(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let result = shared.lock().feishu_user(&headers);
    answer(result.map(|user| json!({ "code": 0, "msg": "success", "data": profile(&user) })))
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

/// The token from `Authorization: Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                code::MISSING_TOKEN,
                "Missing access token for authorization. Please make a request with token attached.",
            )
        })
}

#[derive(Deserialize)]
struct Credentials {
    #[serde(default)]
    app_id: String,
    #[serde(default)]
    app_secret: String,
}

#[derive(Deserialize)]
struct ExchangeBody {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
}

impl PlatformState {
    /// Checks `{app_id, app_secret}` (and the rate limit); returns the app id.
    fn feishu_credentials(&mut self, body: &[u8]) -> Result<String, ApiError> {
        let creds: Credentials = serde_json::from_slice(body).map_err(|_| {
            ApiError::new(
                code::UNKNOWN_APP,
                "invalid param: request body must be JSON",
            )
        })?;
        if self.rate_limited(Provider::Feishu, &creds.app_id) {
            return Err(ApiError::new(
                code::RATE_LIMITED,
                "request trigger frequency limit",
            ));
        }
        match self.feishu_apps.get(&creds.app_id) {
            None => Err(ApiError::new(code::UNKNOWN_APP, "app_id is invalid")),
            Some(app) if app.app_secret != creds.app_secret => {
                Err(ApiError::new(code::BAD_SECRET, "app secret invalid"))
            }
            Some(_) => Ok(creds.app_id),
        }
    }

    /// The app's current token of `kind` and its seconds left, or a new one when under 30 min are left.
    fn feishu_app_token(&mut self, kind: TokenKind, app: &str) -> (String, u64) {
        let now = self.clock.now();
        if let Some((token, issued)) = self.current_token(kind, app) {
            let left = secs_until(now, issued.expires_at);
            if left >= RENEW_BELOW {
                return (token, left);
            }
        }
        let prefix = if kind == TokenKind::FeishuApp {
            "a"
        } else {
            "t"
        };
        let token = format!("{prefix}-g1044{}", ids::hex(36));
        let lifetime = Duration::from_secs(APP_TOKEN_LIFETIME);
        (
            self.new_app_token(kind, app, token, lifetime),
            APP_TOKEN_LIFETIME,
        )
    }

    /// The app an `Authorization: Bearer <app_access_token>` header stands for.
    fn feishu_bearer_app(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        let token = bearer(headers)?;
        if !(token.starts_with("a-") || token.starts_with("t-")) {
            return Err(ApiError::new(
                code::MALFORMED_TOKEN,
                "invalid access token format: must start with a- or t-",
            ));
        }
        let now = self.clock.now();
        match self.token(token) {
            Some(t) if t.kind == TokenKind::FeishuApp && t.expires_at > now => Ok(t.app.clone()),
            _ => Err(ApiError::new(
                code::BAD_APP_TOKEN,
                "invalid app access token",
            )),
        }
    }

    /// `authen/v1/(oidc/)access_token`: the user and their new tokens.
    fn feishu_exchange(
        &mut self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(MockUser, Map<String, Value>), ApiError> {
        let app = self.feishu_bearer_app(headers)?;
        let invalid = |msg: &str| ApiError::new(code::INVALID_REQUEST, msg);
        let body: ExchangeBody = serde_json::from_slice(body)
            .map_err(|_| invalid("invalid request: body must be JSON"))?;
        if body.grant_type != "authorization_code" {
            return Err(invalid(
                "invalid request: grant_type must be authorization_code",
            ));
        }
        if body.code.is_empty() {
            return Err(invalid("invalid request: missing code"));
        }
        let code_fail = || {
            ApiError::new(
                code::CODE_FAIL,
                "generate access_token fail: code is invalid, used or expired",
            )
        };
        let issued = self
            .take_code(Provider::Feishu, &body.code)
            .ok_or_else(code_fail)?;
        if !issued.kind.is_silent_login() {
            return Err(code_fail());
        }
        if issued.app != app {
            return Err(ApiError::new(
                code::OTHER_APP,
                "the app_id of the code differs from the app_id of app_access_token",
            ));
        }
        let user = self
            .users
            .get(&issued.user)
            .cloned()
            .ok_or_else(code_fail)?;
        match user.status {
            UserStatus::Resigned => return Err(ApiError::new(code::RESIGNED, "user resigned")),
            UserStatus::Frozen => return Err(ApiError::new(code::FROZEN, "user frozen")),
            UserStatus::Active => {}
        }
        let tenant_ok = self
            .feishu_apps
            .get(&app)
            .is_some_and(|a| a.tenant_key == user.tenant_key);
        if !tenant_ok || !self.is_visible(Provider::Feishu, &user) {
            return Err(ApiError::new(
                code::NO_PERMISSION,
                "user has no permission to use this app",
            ));
        }
        let lifetime = Duration::from_secs(USER_TOKEN_LIFETIME);
        let token = self.new_user_token(&app, &user.id, format!("u-{}", ids::hex(48)), lifetime);
        let tokens = json!({
            "access_token": token,
            "refresh_token": format!("ur-{}", ids::hex(48)),
            "token_type": "Bearer",
            "expires_in": USER_TOKEN_LIFETIME,
            "refresh_expires_in": REFRESH_TOKEN_LIFETIME,
            "scope": USER_SCOPE,
        });
        match tokens {
            Value::Object(map) => Ok((user, map)),
            _ => Err(code_fail()),
        }
    }

    /// `authen/v1/user_info`: the user an `Authorization: Bearer <user_access_token>` stands for.
    fn feishu_user(&self, headers: &HeaderMap) -> Result<MockUser, ApiError> {
        let token = bearer(headers)?;
        if !["u-", "a-", "t-"].iter().any(|p| token.starts_with(p)) {
            return Err(ApiError::new(
                code::MALFORMED_TOKEN,
                "invalid access token format: must start with u-",
            ));
        }
        let invalid = || {
            ApiError::new(code::BAD_USER_TOKEN, "Invalid access token for authorization. Please make a request with token attached.")
        };
        let issued = self
            .token(token)
            .filter(|t| t.kind == TokenKind::FeishuUser)
            .ok_or_else(invalid)?;
        if issued.expires_at <= self.clock.now() {
            return Err(ApiError::new(
                code::EXPIRED_TOKEN,
                "Authentication token expired.",
            ));
        }
        let user = issued.user.as_deref().and_then(|id| self.users.get(id));
        user.cloned().ok_or_else(invalid)
    }
}
