//! Benchmark servers for `scripts/bench-layer.sh`: one `GET /api/me` handler on bare axum,
//! behind axum-login + tower-sessions, and behind [`SilentLoginLayer`], so a load generator
//! outside the process can compare them side by side.
//!
//! Every server answers `GET /api/me` with the user id (`alice`) as plain text; the two with
//! sessions also have a login endpoint the script calls once before loading them.

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use silent_login::store::RedisStore;
use silent_login::{DingTalk, Identity, SilentLoginLayer};
use silent_login_mock::demo;

pub mod password_login;

/// The user every benchmark logs in as.
pub const USER: &str = demo::ALICE;

/// Which server to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Server {
    /// The handler alone.
    Bare,
    /// The handler behind axum-login with tower-sessions' `MemoryStore`.
    AxumLogin,
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
