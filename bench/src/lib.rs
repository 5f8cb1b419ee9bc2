//! Benchmark servers for `scripts/bench-layer.sh`: one `GET /api/me` handler on bare axum,
//! behind axum-login + tower-sessions, and behind [`SilentLoginLayer`], so a load generator
//! outside the process can compare them side by side.
//!
//! Every server answers `GET /api/me` with the user id (`alice`) as plain text; the two with
//! sessions also have a login endpoint the script calls once before loading them.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, Request, StatusCode};
use axum::routing::get;
use axum::Router;
use http_body_util::BodyExt;
use silent_login::store::RedisStore;
use silent_login::{
    DingTalk, Identity, IdentityFields, ProviderKind, SessionInfo, SilentLoginLayer,
};
use silent_login_mock::demo;
use tower::util::MapRequestLayer;
use tower::ServiceExt;

pub mod password_login;

/// Why a benchmark tool gave up.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The user every benchmark logs in as.
pub const USER: &str = demo::ALICE;

/// Which server to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Server {
    /// The handler alone.
    Bare,
    /// The handler behind axum-login with tower-sessions' `MemoryStore`.
    AxumLogin,
    /// The bare handler behind a layer that does nothing: what any `Router::layer` costs.
    NoopLayer,
    /// The layer's handler behind a layer that only puts a fixed `Identity` and `SessionInfo`
    /// in the extensions: what the layer's contract costs before any session is checked.
    ContractFloor,
    /// The handler behind `SilentLoginLayer` (DingTalk, sessions checked by bearer or cookie).
    Layer,
}

/// Where the layer keeps what replicas share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// `MemoryStore` (the default store).
    Memory,
    /// `RedisStore` at `--redis`.
    Redis,
}

/// The bare handler: what the other two answer, without asking who is calling.
async fn me_bare() -> String {
    USER.to_owned()
}

/// The handler behind the layer: the `Identity` extractor, as the README shows it.
async fn me_layer(user: Identity) -> String {
    user.user_id.clone()
}

/// The handler alone, on bare axum.
pub fn bare() -> Router {
    Router::new().route("/api/me", get(me_bare))
}

/// The bare handler behind `tower::layer::util::Identity`: axum boxes every route again for
/// any layer, and this is that price alone.
pub fn noop_layer() -> Router {
    bare().layer(tower::layer::util::Identity::new())
}

/// The layer's handler behind a layer that checks nothing and only does what the layer's
/// contract asks of any implementation: `Identity` and `SessionInfo` in the request's
/// extensions (two boxed values; the fourth entry grows the map axum started).
pub fn contract_floor() -> Router {
    let identity = Identity::new(IdentityFields {
        provider: ProviderKind::DingTalk,
        user_id: USER.to_owned(),
        union_id: None,
        open_id: None,
        name: None,
        tenant: None,
        is_admin: false,
        extra: serde_json::Map::new(),
    });
    let info = SessionInfo {
        id: Arc::from("floor"),
        issued_at_ms: 0,
        expires_at_ms: u64::MAX,
    };
    Router::new()
        .route("/api/me", get(me_layer))
        .layer(MapRequestLayer::new(move |mut request: Request<Body>| {
            request.extensions_mut().insert(identity.clone());
            request.extensions_mut().insert(info.clone());
            request
        }))
}

/// The handler behind axum-login + tower-sessions (`MemoryStore`); `POST /login` logs `alice` in.
pub fn axum_login() -> Router {
    password_login::router()
}

/// The handler behind `SilentLoginLayer` for the DingTalk demo app of the emulator at `platform`.
pub async fn layer(
    platform: &str,
    store: StoreKind,
    redis_url: Option<&str>,
) -> Result<Router, Box<dyn std::error::Error>> {
    let provider = DingTalk::new(demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET)
        .corp_id(demo::DINGTALK_CORP_ID)
        .api_base(platform);
    let mut layer = SilentLoginLayer::new(provider).secure_cookie(false);
    if store == StoreKind::Redis {
        let url = redis_url.ok_or("--store redis needs --redis URL")?;
        let store = RedisStore::builder(url)
            .prefix("silent-login-bench:")
            .connect()
            .await?;
        layer = layer.store(Arc::new(store));
    }
    layer.validate()?;
    Ok(Router::new().route("/api/me", get(me_layer)).layer(layer))
}

/// Logs in through `app` (a router behind the layer, called in process) with `code`: the
/// session token and the cookie's `name=value`.
pub async fn login_in_process(app: &Router, code: &str) -> Result<(String, String), Failure> {
    let request = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!(r#"{{"tmp_auth_code":"{code}"}}"#)))?;
    let response = app.clone().oneshot(request).await?;
    if response.status() != StatusCode::OK {
        return Err(format!("the login answered {}", response.status()).into());
    }
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .ok_or("the login set no cookie")?
        .to_str()?;
    let cookie = cookie.split(';').next().unwrap_or_default().to_owned();
    let body = response.into_body().collect().await?.to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body)?;
    let token = body["token"]
        .as_str()
        .ok_or("the login answered no token")?;
    Ok((token.to_owned(), cookie))
}

/// `GET /api/me` through `app` (called in process) with one `header`: the body, or why not (an
/// answer other than 200 included).
pub async fn get_me_in_process(app: &Router, header: (&str, &str)) -> Result<Bytes, Failure> {
    let request = Request::get("/api/me")
        .header(header.0, header.1)
        .body(Body::empty())?;
    let response = app.clone().oneshot(request).await?;
    if response.status() != StatusCode::OK {
        return Err(format!("GET /api/me answered {}", response.status()).into());
    }
    Ok(response.into_body().collect().await?.to_bytes())
}

/// A DingTalk app access token of the demo app, from the emulator at `platform`.
pub async fn app_token(client: &reqwest::Client, platform: &str) -> Result<String, Failure> {
    let answer: serde_json::Value = client
        .get(format!("{platform}/gettoken"))
        .query(&[
            ("appkey", demo::DINGTALK_APP_KEY),
            ("appsecret", demo::DINGTALK_APP_SECRET),
        ])
        .send()
        .await?
        .json()
        .await?;
    let token = answer["access_token"]
        .as_str()
        .ok_or("the emulator answered no access_token")?;
    Ok(token.to_owned())
}
