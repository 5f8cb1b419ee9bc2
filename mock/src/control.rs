//! The control API under `/_mock/…`: mint codes, register apps and users, move the clock,
//! inject faults, expire user tokens, read stats and violations, and serve the browser JSAPI shim. Permissive CORS, so a page
//! served from another loopback port can call it.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequest, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use silent_login_catalog::ProviderKind;
use tower_http::cors::CorsLayer;

use crate::app::{DingTalkApp, FeishuApp};
use crate::code::{CodeKind, MintCode};
use crate::endpoint::{Endpoint, Stats};
use crate::fault::Fault;
use crate::shim;
use crate::state::Shared;
use crate::user::{MockUser, UserStatus};

/// The `/_mock` routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_mock/codes", post(mint_code))
        .route("/_mock/apps", post(add_app))
        .route("/_mock/users", post(add_user).get(list_users))
        .route("/_mock/visibility", post(set_visibility))
        .route("/_mock/clock", post(advance_clock))
        .route("/_mock/faults", post(inject_fault))
        .route("/_mock/revoke_tokens", post(revoke_tokens))
        .route(
            "/_mock/feishu/expire_user_tokens",
            post(expire_feishu_user_tokens),
        )
        .route("/_mock/reset", post(reset))
        .route("/_mock/stats", get(stats))
        .route("/_mock/violations", get(violations))
        .route("/_mock/jsapi.js", get(shim::serve))
        .layer(CorsLayer::permissive())
}

/// A JSON body whose rejection is answered as JSON too: `{"error": "…"}`.
struct Body<T>(T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => {
                let body = Json(json!({ "error": rejection.body_text() }));
                Err((rejection.status(), body).into_response())
            }
        }
    }
}

fn done() -> Json<serde_json::Value> {
    Json(json!({ "ok": true }))
}

#[derive(Deserialize)]
struct CodeRequest {
    provider: ProviderKind,
    #[serde(default, alias = "appId", alias = "app_id", alias = "app_key")]
    app: Option<String>,
    user: String,
    #[serde(default)]
    kind: Option<CodeKind>,
    #[serde(default, alias = "corpId")]
    corp_id: Option<String>,
    /// `tt.requestAccess`'s `scopeList` (kind `feishu_access`).
    #[serde(default, alias = "scopeList")]
    scopes: Vec<String>,
}

async fn mint_code(State(shared): State<Arc<Shared>>, Body(req): Body<CodeRequest>) -> Response {
    let mut state = shared.lock();
    let app = match req.provider {
        ProviderKind::DingTalk => {
            state.resolve_dingtalk_app(req.app.as_deref(), req.corp_id.as_deref())
        }
        ProviderKind::Feishu | ProviderKind::Lark => {
            Ok(state.resolve_feishu_app(req.app.as_deref()))
        }
    };
    let minted = app.and_then(|app| {
        let kind = req.kind.unwrap_or(match req.provider {
            ProviderKind::DingTalk => CodeKind::H5,
            ProviderKind::Feishu | ProviderKind::Lark => CodeKind::FeishuWebApp,
        });
        state.mint_code(&MintCode {
            provider: req.provider,
            app,
            user: req.user,
            kind,
            scopes: req.scopes,
        })
    });
    drop(state);
    match minted {
        Ok(code) => Json(json!({ "code": code })).into_response(),
        Err(error) => (StatusCode::BAD_REQUEST, Json(error)).into_response(),
    }
}

#[derive(Deserialize)]
#[serde(tag = "provider", rename_all = "lowercase")]
enum AppRequest {
    DingTalk(DingTalkApp),
    #[serde(alias = "lark")]
    Feishu(FeishuApp),
}

async fn add_app(
    State(shared): State<Arc<Shared>>,
    Body(req): Body<AppRequest>,
) -> impl IntoResponse {
    let mut state = shared.lock();
    match req {
        AppRequest::DingTalk(app) => state.add_dingtalk_app(app),
        AppRequest::Feishu(app) => state.add_feishu_app(app),
    }
    done()
}

async fn add_user(
    State(shared): State<Arc<Shared>>,
    Body(user): Body<MockUser>,
) -> impl IntoResponse {
    shared.lock().add_user(user);
    done()
}

#[derive(Deserialize)]
struct UsersQuery {
    provider: Option<ProviderKind>,
}

/// One row of the user picker.
#[derive(Serialize)]
struct UserRow {
    id: String,
    name: String,
    visible: bool,
    admin: bool,
    status: UserStatus,
    corp_id: String,
    tenant_key: String,
}

async fn list_users(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<UsersQuery>,
) -> impl IntoResponse {
    let state = shared.lock();
    let rows: Vec<UserRow> = state
        .users()
        .map(|u| UserRow {
            id: u.id.clone(),
            name: u.name.clone(),
            visible: query.provider.map_or(u.visible, |p| state.is_visible(p, u)),
            admin: u.admin,
            status: u.status,
            corp_id: u.corp_id.clone(),
            tenant_key: u.tenant_key.clone(),
        })
        .collect();
    Json(rows)
}

#[derive(Deserialize)]
struct VisibilityRequest {
    provider: ProviderKind,
    user: String,
    visible: bool,
}

async fn set_visibility(
    State(shared): State<Arc<Shared>>,
    Body(req): Body<VisibilityRequest>,
) -> impl IntoResponse {
    shared
        .lock()
        .set_visible(req.provider, &req.user, req.visible);
    done()
}

#[derive(Deserialize)]
struct ClockRequest {
    advance_secs: u64,
}

async fn advance_clock(
    State(shared): State<Arc<Shared>>,
    Body(req): Body<ClockRequest>,
) -> impl IntoResponse {
    shared
        .lock()
        .advance_clock(Duration::from_secs(req.advance_secs));
    done()
}

#[derive(Deserialize)]
struct FaultRequest {
    endpoint: Endpoint,
    fault: Fault,
    #[serde(default = "one")]
    times: u32,
}

fn one() -> u32 {
    1
}

async fn inject_fault(
    State(shared): State<Arc<Shared>>,
    Body(req): Body<FaultRequest>,
) -> impl IntoResponse {
    shared
        .lock()
        .inject_fault(req.endpoint, req.fault, req.times);
    done()
}

async fn revoke_tokens(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    shared.lock().revoke_app_tokens();
    done()
}

async fn expire_feishu_user_tokens(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let expired = shared.lock().expire_feishu_user_tokens();
    Json(json!({ "ok": true, "expired": expired }))
}

async fn violations(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    Json(json!({ "violations": shared.lock().violations() }))
}

async fn reset(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    shared.lock().reset();
    done()
}

async fn stats(State(shared): State<Arc<Shared>>) -> Json<Stats> {
    Json(shared.lock().stats())
}
