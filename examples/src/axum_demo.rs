//! The axum demo: an H5 page that logs in with the platform's JSAPI, `GET /api/me` behind the
//! layer (and, for Feishu/Lark, `GET /api/me/profile` with the user's own token), and
//! `/healthz`. [`serve`] runs it in-process (the binary and the tests share it).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use silent_login::Identity;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::backend::RunningBackend;
use silent_login::ProviderKind;

use crate::config::{default_jsapi_url, Config};
use crate::StartError;

const INDEX_HTML: &str = include_str!("../static/index.html");
const APP_JS: &str = include_str!("../static/app.js");
const STYLE_CSS: &str = include_str!("../static/style.css");

/// What the page needs to log in, injected into `index.html` as `window.SILENT_LOGIN_CONFIG`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageConfig {
    /// `dingtalk`, `feishu` or `lark`.
    pub provider: &'static str,
    /// DingTalk `corpId` (empty for Feishu).
    pub corp_id: String,
    /// Feishu `appId` (empty for DingTalk).
    pub app_id: String,
    /// The JSAPI script: the emulator's shim, or the official SDK.
    pub jsapi_url: String,
    /// Whether the emulator stands in for the platform (the page says so).
    pub emulated: bool,
    /// Feishu/Lark: the `scopeList` the page passes to `tt.requestAccess` (`FEISHU_SCOPES`).
    pub scope_list: Vec<String>,
}

impl PageConfig {
    /// The page configuration for a started backend: the emulator's shim; for the real
    /// platform `SILENT_LOGIN_JSAPI_URL`, else the platform's official SDK
    /// ([`default_jsapi_url`]).
    pub fn new(config: &Config, backend: &RunningBackend) -> Self {
        let jsapi_url = match (backend.emulator(), &config.jsapi_url) {
            (Some(mock), _) => format!("{}/_mock/jsapi.js", mock.base_url()),
            (None, Some(url)) => url.clone(),
            (None, None) => default_jsapi_url(config.provider).to_owned(),
        };
        let (corp_id, app_id) = match config.provider {
            ProviderKind::DingTalk => (backend.client_id().to_owned(), String::new()),
            ProviderKind::Feishu | ProviderKind::Lark => {
                (String::new(), backend.client_id().to_owned())
            }
        };
        Self {
            provider: config.provider.as_str(),
            corp_id,
            app_id,
            jsapi_url,
            emulated: backend.emulator().is_some(),
            scope_list: match config.provider {
                ProviderKind::DingTalk => Vec::new(),
                ProviderKind::Feishu | ProviderKind::Lark => config.feishu_scopes.clone(),
            },
        }
    }

    /// `index.html` with this configuration and the JSAPI script filled in.
    pub fn render(&self) -> String {
        // `<` escaped so that no value can close the script element.
        let json = serde_json::to_string(self)
            .unwrap_or_else(|_| "{}".to_owned())
            .replace('<', "\\u003c");
        INDEX_HTML
            .replace("__SILENT_LOGIN_CONFIG__", &json)
            .replace("__JSAPI_URL__", &html_attribute(&self.jsapi_url))
    }
}

fn html_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The demo's routes behind the layer.
pub fn router(backend: &RunningBackend, page: &PageConfig) -> Router {
    let index: Arc<str> = Arc::from(page.render());
    let readiness = backend.layer();
    let config_js: Arc<str> = Arc::from(format!(
        "window.SILENT_LOGIN_CONFIG = {};\n",
        serde_json::to_string(page).unwrap_or_else(|_| "{}".to_owned())
    ));
    Router::new()
        .route(
            "/",
            get(move || {
                let index = index.clone();
                async move { (no_store(), Html(index.to_string())) }
            }),
        )
        .route(
            "/config.js",
            get(move || {
                let js = config_js.clone();
                async move { asset("application/javascript; charset=utf-8", js.to_string()) }
            }),
        )
        .route(
            "/static/app.js",
            get(|| async { asset("application/javascript; charset=utf-8", APP_JS.to_owned()) }),
        )
        .route(
            "/static/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE_CSS.to_owned()) }),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(move || readyz(readiness.clone())))
        .route("/api/me", get(me))
        .merge(profile_route(backend))
        .layer(
            backend
                .layer()
                .public_path("/")
                .public_path("/config.js")
                .public_path("/healthz")
                .public_path("/readyz")
                .public_path("/favicon.ico")
                .public_prefix("/static/"),
        )
}

fn no_store() -> [(axum::http::HeaderName, &'static str); 1] {
    [(CACHE_CONTROL, "no-store")]
}

fn asset(content_type: &'static str, body: String) -> Response {
    (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")],
        body,
    )
        .into_response()
}

/// Feishu/Lark: `GET /api/me/profile`, Feishu's `user_info` called as the user.
fn profile_route(backend: &RunningBackend) -> Router {
    match backend.feishu_api_base() {
        Some(api_base) => Router::new()
            .route("/api/me/profile", get(crate::profile::profile))
            .with_state(crate::profile::ProfileApi::new(api_base)),
        None => Router::new(),
    }
}

/// `GET /api/me`: the identity the layer verified.
async fn me(user: Identity) -> Json<Identity> {
    Json(user)
}

/// `GET /healthz`: the process is up (liveness).
async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 `ready` once the layer can serve protected requests (with Redis: its
/// revocation feed is live), else 503 — a load balancer sends no traffic here until then.
async fn readyz(layer: silent_login::SilentLoginLayer) -> Response {
    if layer.is_ready() {
        (StatusCode::OK, "ready").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the revocation feed from Redis is not live yet",
        )
            .into_response()
    }
}

/// A running axum demo.
#[derive(Debug)]
pub struct DemoServer {
    addr: SocketAddr,
    backend: RunningBackend,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
}

impl DemoServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/`, the page to open.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The platform it logs in with.
    pub fn backend(&self) -> &RunningBackend {
        &self.backend
    }

    /// Stops accepting, finishes open requests, and stops the emulator.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        (&mut self.task).await.map_err(io::Error::other)?
    }

    /// Serves until `signal` resolves, then shuts down gracefully (open requests finish): the
    /// binary's main loop with [`shutdown_signal`](crate::shutdown_signal).
    pub async fn serve_until(mut self, signal: impl Future<Output = ()>) -> io::Result<()> {
        tokio::select! {
            served = &mut self.task => served.map_err(io::Error::other)?,
            () = signal => self.shutdown().await,
        }
    }
}

/// Starts the demo on `config.listen` (port 0: a free port), with the emulator when the
/// configuration has no credentials.
pub async fn serve(config: Config) -> Result<DemoServer, StartError> {
    let backend = RunningBackend::start(&config).await?;
    let page = PageConfig::new(&config, &backend);
    let app = router(&backend, &page);
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|error| StartError::Listen(config.listen, error))?;
    let addr = listener
        .local_addr()
        .map_err(|error| StartError::Listen(config.listen, error))?;
    let (shutdown, signal) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = signal.await;
            })
            .await
    });
    Ok(DemoServer {
        addr,
        backend,
        shutdown: Some(shutdown),
        task,
    })
}
