//! Helpers shared by the layer tests (`layer_*.rs`): the emulator, providers pointed at it, an
//! axum server on a free loopback port, a plain HTTP client and checks of the public contracts.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;

use axum::Router;
use serde_json::Value;
use silent_login::{DingTalk, Feishu, Identity};
use silent_login_mock::{demo, MintCode, MockPlatform};

/// The keys every error body carries (DESIGN.md, "Error body").
pub const ERROR_BODY_KEYS: [&str; 8] = [
    "provider",
    "errcode",
    "errmsg",
    "cause",
    "causes",
    "solution",
    "docs",
    "request_id",
];

/// The keys every successful login body carries (DESIGN.md, "Login").
pub const LOGIN_BODY_KEYS: [&str; 6] = [
    "provider",
    "user_id",
    "union_id",
    "name",
    "token",
    "expires_at",
];

/// Which platform a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    DingTalk,
    Feishu,
}

impl Platform {
    pub const BOTH: [Platform; 2] = [Platform::DingTalk, Platform::Feishu];

    /// The `provider` field of the login body.
    pub fn name(self) -> &'static str {
        match self {
            Platform::DingTalk => "dingtalk",
            Platform::Feishu => "feishu",
        }
    }

    /// A fresh one-time code for `user`, as the client's JSAPI would mint it.
    pub fn mint(self, mock: &MockPlatform, user: &str) -> String {
        let request = match self {
            Platform::DingTalk => MintCode::dingtalk(user),
            Platform::Feishu => MintCode::feishu(user),
        };
        mock.mint_code(request).unwrap()
    }

    /// The layer of the demo app of this platform, with a plain-HTTP cookie.
    pub fn layer(self, mock: &MockPlatform) -> silent_login::SilentLoginLayer {
        let layer = match self {
            Platform::DingTalk => silent_login::SilentLoginLayer::new(dingtalk(mock)),
            Platform::Feishu => silent_login::SilentLoginLayer::new(feishu(mock)),
        };
        layer.secure_cookie(false)
    }
}

/// The demo organization on a free loopback port.
pub async fn start_mock() -> MockPlatform {
    MockPlatform::builder().demo().start().await.unwrap()
}

/// The demo DingTalk app, pointed at the emulator.
pub fn dingtalk(mock: &MockPlatform) -> DingTalk {
    DingTalk::new(demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET)
        .corp_id(demo::DINGTALK_CORP_ID)
        .api_base(mock.base_url())
}

/// The demo Feishu app, pointed at the emulator.
pub fn feishu(mock: &MockPlatform) -> Feishu {
    Feishu::new(demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET).api_base(mock.base_url())
}

/// Serves `app` on a free loopback port; returns `http://127.0.0.1:PORT`.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A client without a cookie jar: cookies are sent by hand, exactly as the test means.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The handler of the protected routes: who the layer says is calling.
pub async fn me(user: Identity) -> axum::Json<Value> {
    axum::Json(serde_json::json!({
        "user_id": user.user_id,
        "provider": user.provider.as_str(),
        "tenant": user.tenant,
    }))
}

/// `POST {base}/api/login` with `{"tmp_auth_code": code}`.
pub async fn login(client: &reqwest::Client, base: &str, code: &str) -> reqwest::Response {
    client
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({ "tmp_auth_code": code }))
        .send()
        .await
        .unwrap()
}

/// Logs `user` in and returns (login body, `name=value` of the session cookie).
pub async fn login_user(
    client: &reqwest::Client,
    base: &str,
    mock: &MockPlatform,
    platform: Platform,
    user: &str,
) -> (Value, String) {
    let response = login(client, base, &platform.mint(mock, user)).await;
    assert_eq!(response.status(), 200, "login of {user} failed");
    let cookie = session_cookie(&response).expect("the login sets the session cookie");
    let body: Value = response.json().await.unwrap();
    (body, cookie)
}

/// The bearer token of a login body.
pub fn token(body: &Value) -> String {
    body["token"].as_str().unwrap().to_owned()
}

/// Every `Set-Cookie` of a response.
pub fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect()
}

/// `name=value` of the session cookie a response sets (with a non-empty value).
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    set_cookies(response).into_iter().find_map(|cookie| {
        let pair = cookie.split(';').next()?.trim().to_owned();
        let (name, value) = pair.split_once('=')?;
        (name == "silent_login" && !value.is_empty()).then_some(pair)
    })
}

/// Reads an error response and checks the DESIGN contract; returns the body.
pub async fn error_body(response: reqwest::Response, status: u16, errcode: i64) -> Value {
    let actual = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let www_authenticate = response.headers().get("www-authenticate").cloned();
    let text = response.text().await.unwrap();
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("the error body is not JSON ({error}): {text}"));
    assert_eq!(actual, status, "status of {body:#}");
    assert_eq!(body["errcode"], errcode, "errcode of {body:#}");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    assert_error_contract(&body);
    if status == 401 {
        assert!(
            www_authenticate.is_some(),
            "a 401 carries WWW-Authenticate: {body:#}"
        );
    }
    body
}

/// Every key of the contract is there, with the right JSON type.
pub fn assert_error_contract(body: &Value) {
    for key in ERROR_BODY_KEYS {
        assert!(
            body.get(key).is_some(),
            "the error body lacks `{key}`: {body:#}"
        );
    }
    assert!(body["provider"].is_string(), "{body:#}");
    assert!(body["errcode"].is_i64(), "{body:#}");
    assert!(
        body["errmsg"].as_str().is_some_and(|m| !m.is_empty()),
        "{body:#}"
    );
    assert!(
        body["cause"].is_string() || body["cause"].is_null(),
        "{body:#}"
    );
    assert!(body["causes"].is_array(), "{body:#}");
    assert!(body["solution"].is_string(), "{body:#}");
    assert!(
        body["docs"].is_string() || body["docs"].is_null(),
        "{body:#}"
    );
    assert!(
        body["request_id"].as_str().is_some_and(|id| !id.is_empty()),
        "{body:#}"
    );
}

/// Checks the login body of the contract for `user`.
pub fn assert_login_body(body: &Value, platform: Platform, user: &str) {
    for key in LOGIN_BODY_KEYS {
        assert!(
            body.get(key).is_some(),
            "the login body lacks `{key}`: {body:#}"
        );
    }
    assert_eq!(body["provider"], platform.name(), "{body:#}");
    assert_eq!(body["user_id"], user, "{body:#}");
    assert!(body["union_id"].is_string(), "{body:#}");
    assert!(body["name"].is_string(), "{body:#}");
    assert!(
        body["token"].as_str().is_some_and(|t| t.starts_with("v1.")),
        "{body:#}"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expires_at = body["expires_at"].as_u64().unwrap();
    assert!(
        expires_at > now,
        "expires_at {expires_at} is not after now {now}"
    );
}

/// Sends `request` as raw bytes (it should say `Connection: close`) and returns the status and
/// the whole rest of the answer (headers and body) as text.
pub async fn raw_http(base: &str, request: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    // The server may answer before reading everything and then close: take what came.
    let _ = stream.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    (status, text)
}
