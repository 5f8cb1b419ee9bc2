//! The axum application the layer tests serve (feature `axum`: its handlers take `Identity` as
//! an extractor), and the requests they send to it.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use silent_login::{Identity, Sessions, SilentLoginLayer};

use super::{me, serve};

/// Who is calling, or `anonymous` (an `Option<Identity>` never refuses).
async fn maybe(user: Option<Identity>) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |user| user.user_id.clone())
}

/// The whole identity the layer put in the request.
async fn whoami(user: Identity) -> Json<Identity> {
    Json(user)
}

/// Ends every session of the caller from application code.
async fn kick_me(State(sessions): State<Sessions>, user: Identity) -> &'static str {
    sessions.logout_all(&user).await.unwrap();
    "kicked"
}

/// The application behind `layer`: protected routes (`/api/me`, `/api/whoami`, `/api/kick-me`),
/// an optional one (`/api/maybe`) and routes the layer may be told are public (`/healthz`,
/// `/static/…`).
pub(crate) fn app(layer: SilentLoginLayer) -> Router {
    let sessions = layer.sessions();
    Router::new()
        .route("/api/me", get(me))
        .route("/api/maybe", get(maybe))
        .route("/api/whoami", get(whoami))
        .route("/api/kick-me", post(kick_me))
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/{*rest}", get(|| async { "asset" }))
        .with_state(sessions)
        .layer(layer)
}

/// Serves [`app`] behind `layer`; returns its base URL.
pub(crate) async fn serve_layer(layer: SilentLoginLayer) -> String {
    serve(app(layer)).await
}

/// How a request presents its session.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Auth<'a> {
    Bearer(&'a str),
    Cookie(&'a str),
    None,
}

/// `GET {base}/api/me` with the session presented as `auth`.
pub(crate) async fn get_me(
    client: &reqwest::Client,
    base: &str,
    auth: Auth<'_>,
) -> reqwest::Response {
    let request = client.get(format!("{base}/api/me"));
    let request = match auth {
        Auth::Bearer(token) => request.bearer_auth(token),
        Auth::Cookie(cookie) => request.header("cookie", cookie),
        Auth::None => request,
    };
    request.send().await.unwrap()
}

/// `GET {base}/api/whoami` with a bearer token: the identity the layer saw.
pub(crate) async fn whoami_of(client: &reqwest::Client, base: &str, token: &str) -> Identity {
    client
        .get(format!("{base}/api/whoami"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Where a login request carries its code.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Place {
    Json,
    Form,
    Query,
}

impl Place {
    pub(crate) const ALL: [Place; 3] = [Place::Json, Place::Form, Place::Query];
}

/// `POST {base}/api/login` with `code` under `name`, in `place`.
pub(crate) async fn send_code(
    client: &reqwest::Client,
    base: &str,
    name: &str,
    code: &str,
    place: Place,
) -> reqwest::Response {
    let url = format!("{base}/api/login");
    let request = match place {
        Place::Json => client.post(url).json(&json!({ name: code })),
        Place::Form => client.post(url).form(&[(name, code)]),
        Place::Query => client.post(url).query(&[(name, code)]),
    };
    request.send().await.unwrap()
}

/// `POST {base}/api/login` with `{"tmp_auth_code": code}` and extra headers.
pub(crate) async fn login_with_headers(
    client: &reqwest::Client,
    base: &str,
    code: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = client
        .post(format!("{base}/api/login"))
        .json(&json!({ "tmp_auth_code": code }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}
