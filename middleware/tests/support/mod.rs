//! What the middleware's tests share: the emulator and the demo apps pointed at it, exchanges run
//! directly on an `Authenticator`, an axum server on a free loopback port with a plain HTTP
//! client, and checks of the public contracts of docs/CONTRACTS.md (the login body, section 1.3;
//! the error body, section 4).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use serde_json::Value;
use silent_login::catalog::{KnownCode, Lang};
use silent_login::store::{LockToken, StoreError, StoreFuture, StoredToken};
use silent_login::{
    AppToken, AuthCode, Authenticator, DingTalk, Feishu, FeishuOAuth, HttpConfig, Identity,
    LoginError, MemoryStore, SilentLoginLayer, Store,
};
use silent_login_mock::{demo, MintCode, MockPlatform};

pub(crate) use silent_login::ProviderKind;

#[cfg(feature = "axum")]
mod app;
#[cfg(feature = "axum")]
#[allow(unused_imports)] // each test file uses its own few
pub(crate) use app::{
    app, get_me, login_with_headers, send_code, serve_layer, whoami_of, Auth, Place,
};

/// Nothing listens on the discard port of loopback: a connection is refused at once, so a login
/// that gets as far as the platform fails fast with 503 `UpstreamUnreachable`.
pub(crate) const UNROUTABLE: &str = "http://127.0.0.1:9";

// ---------------------------------------------------------------------------------------------
// The emulator and the demo apps
// ---------------------------------------------------------------------------------------------

/// The demo organization on a free loopback port.
pub(crate) async fn start_mock() -> MockPlatform {
    MockPlatform::builder().demo().start().await.unwrap()
}

/// The demo DingTalk app, pointed at the emulator.
pub(crate) fn dingtalk(mock: &MockPlatform) -> DingTalk {
    DingTalk::new(demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET)
        .corp_id(demo::DINGTALK_CORP_ID)
        .api_base(mock.base_url())
}

/// The demo Feishu app, pointed at the emulator.
/// The historic v1 exchange (app token + `oidc/access_token`): what these tests were written
/// for, with the app-token cache in the path; the v2 exchange has tests of its own
/// (`providers_feishu_v2.rs`).
pub(crate) fn feishu(mock: &MockPlatform) -> Feishu {
    Feishu::new(demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET)
        .api_base(mock.base_url())
        .oauth(FeishuOAuth::V1)
}

/// The platforms the layer tests run against (Lark is Feishu on another host).
pub(crate) const BOTH: [ProviderKind; 2] = [ProviderKind::DingTalk, ProviderKind::Feishu];

/// What the layer tests need of a platform, on the one platform type every crate uses.
pub(crate) trait TestPlatform: Copy {
    /// The organization of the demo users on this platform.
    fn home_tenant(self) -> &'static str;
    /// A fresh one-time code for `user`, as the client's JSAPI would mint it.
    fn mint(self, mock: &MockPlatform, user: &str) -> String;
    /// The layer of the demo app of this platform, with its defaults (a `Secure` cookie).
    fn default_layer(self, mock: &MockPlatform) -> SilentLoginLayer;
    /// The layer of the demo app of this platform, with a plain-HTTP cookie.
    fn layer(self, mock: &MockPlatform) -> SilentLoginLayer {
        self.default_layer(mock).secure_cookie(false)
    }
}

impl TestPlatform for ProviderKind {
    fn home_tenant(self) -> &'static str {
        match self {
            ProviderKind::DingTalk => demo::DINGTALK_CORP_ID,
            ProviderKind::Feishu | ProviderKind::Lark => demo::FEISHU_TENANT_KEY,
        }
    }

    fn mint(self, mock: &MockPlatform, user: &str) -> String {
        let request = match self {
            ProviderKind::DingTalk => MintCode::dingtalk(user),
            ProviderKind::Feishu | ProviderKind::Lark => MintCode::feishu(user),
        };
        mock.mint_code(request).unwrap()
    }

    fn default_layer(self, mock: &MockPlatform) -> SilentLoginLayer {
        match self {
            ProviderKind::DingTalk => SilentLoginLayer::new(dingtalk(mock)),
            ProviderKind::Feishu | ProviderKind::Lark => SilentLoginLayer::new(feishu(mock)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Exchanges run directly on an `Authenticator`
// ---------------------------------------------------------------------------------------------

/// Calls time out after `timeout` (the emulator answers in about a millisecond).
pub(crate) fn short_timeout(timeout: Duration) -> HttpConfig {
    HttpConfig::default()
        .connect_timeout(timeout)
        .request_timeout(timeout)
}

/// A code minted by the emulator, parsed as the layer would.
pub(crate) fn mint(mock: &MockPlatform, request: MintCode) -> AuthCode {
    AuthCode::parse(&mock.mint_code(request).unwrap()).unwrap()
}

/// Runs one exchange and fails the test if it hangs for longer than `limit`.
pub(crate) async fn bounded<T>(limit: Duration, work: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let outcome = tokio::time::timeout(limit, work)
        .await
        .unwrap_or_else(|_| panic!("the exchange hung for more than {limit:?}"));
    (outcome, started.elapsed())
}

/// The exchange must fail; returns the error.
pub(crate) async fn refused(authenticator: &Authenticator, code: AuthCode) -> LoginError {
    match authenticator.exchange(code).await {
        Ok(identity) => panic!("expected a refusal, got {identity:?}"),
        Err(error) => error,
    }
}

/// The exchange must succeed; returns the identity.
pub(crate) async fn identity(authenticator: &Authenticator, code: AuthCode) -> Identity {
    match authenticator.exchange(code).await {
        Ok(identity) => identity,
        Err(error) => panic!("expected a login, got {error} ({error:?})"),
    }
}

/// `error` carries what the platform answered: its raw code, a message and a request id.
pub(crate) fn assert_upstream(error: &LoginError, errcode: i64) {
    let upstream = error
        .upstream()
        .unwrap_or_else(|| panic!("{error:?} keeps no upstream answer"));
    assert_eq!(upstream.errcode, errcode, "{error:?}");
    assert!(!upstream.errmsg.is_empty(), "{error:?}");
    assert!(
        upstream
            .request_id
            .as_deref()
            .is_some_and(|id| id.len() >= 16),
        "the platform's request id is kept: {error:?}"
    );
}

/// The narrowed cause's id, if any.
pub(crate) fn cause(error: &LoginError) -> Option<&'static str> {
    error.narrowed_cause().map(|cause| cause.id())
}

/// A [`MemoryStore`] that says it is shared, like a Redis store: the token cache then saves
/// tokens into it and reads other authenticators' tokens from it.
#[derive(Debug, Default)]
pub(crate) struct SharedTokens(pub(crate) MemoryStore);

impl Store for SharedTokens {
    fn load_token<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        self.0.load_token(key)
    }
    fn save_token<'a>(&'a self, key: &'a str, token: &'a StoredToken) -> StoreFuture<'a, ()> {
        self.0.save_token(key, token)
    }
    fn evict_token<'a>(&'a self, key: &'a str, token: &'a AppToken) -> StoreFuture<'a, ()> {
        self.0.evict_token(key, token)
    }
    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>> {
        self.0.try_lock(key, ttl)
    }
    fn unlock<'a>(&'a self, key: &'a str, lock: LockToken) -> StoreFuture<'a, ()> {
        self.0.unlock(key, lock)
    }
    fn mark_code<'a>(&'a self, fingerprint: &'a str, ttl: Duration) -> StoreFuture<'a, bool> {
        self.0.mark_code(fingerprint, ttl)
    }
    fn unmark_code<'a>(&'a self, fingerprint: &'a str) -> StoreFuture<'a, ()> {
        self.0.unmark_code(fingerprint)
    }
    fn revoke_session<'a>(
        &'a self,
        session_id: &'a str,
        expires_at_ms: u64,
    ) -> StoreFuture<'a, ()> {
        self.0.revoke_session(session_id, expires_at_ms)
    }
    fn revoke_user<'a>(&'a self, user_key: &'a str, remember: Duration) -> StoreFuture<'a, ()> {
        self.0.revoke_user(user_key, remember)
    }
    fn issued_at_ms(&self, user: &Identity) -> u64 {
        self.0.issued_at_ms(user)
    }
    fn is_revoked(
        &self,
        session_id: &str,
        user: &Identity,
        issued_at_ms: u64,
    ) -> Result<bool, StoreError> {
        self.0.is_revoked(session_id, user, issued_at_ms)
    }
    fn is_shared(&self) -> bool {
        true
    }
}

/// Both kinds of store the wrong-secret tests run against: a local one and a shared one.
pub(crate) fn shared_stores() -> Vec<(&'static str, Arc<dyn Store>)> {
    vec![
        (
            "MemoryStore",
            Arc::new(MemoryStore::new()) as Arc<dyn Store>,
        ),
        ("a token-sharing store", Arc::new(SharedTokens::default())),
    ]
}

// ---------------------------------------------------------------------------------------------
// A server and a client
// ---------------------------------------------------------------------------------------------

/// Serves `app` on a free loopback port; returns `http://127.0.0.1:PORT`.
pub(crate) async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A client without a cookie jar: cookies are sent by hand, exactly as the test means.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The handler of the protected routes: who the layer says is calling.
#[cfg(feature = "axum")]
pub(crate) async fn me(user: Identity) -> axum::Json<Value> {
    axum::Json(serde_json::json!({
        "user_id": user.user_id,
        "name": user.name,
        "provider": user.provider.as_str(),
        "tenant": user.tenant,
    }))
}

/// `POST {base}/api/login` with `{"tmp_auth_code": code}`.
pub(crate) async fn login(client: &reqwest::Client, base: &str, code: &str) -> reqwest::Response {
    client
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({ "tmp_auth_code": code }))
        .send()
        .await
        .unwrap()
}

/// Logs `user` in and returns (login body, `name=value` of the session cookie).
pub(crate) async fn login_user(
    client: &reqwest::Client,
    base: &str,
    mock: &MockPlatform,
    platform: ProviderKind,
    user: &str,
) -> (Value, String) {
    let response = login(client, base, &platform.mint(mock, user)).await;
    assert_eq!(response.status(), 200, "login of {user} failed");
    let cookie = session_cookie(&response).expect("the login sets the session cookie");
    let body: Value = response.json().await.unwrap();
    (body, cookie)
}

/// The bearer token of a login body.
pub(crate) fn token(body: &Value) -> String {
    body["token"].as_str().unwrap().to_owned()
}

/// Every `Set-Cookie` of a response.
pub(crate) fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect()
}

/// `name=value` of the session cookie a response sets (with a non-empty value).
pub(crate) fn session_cookie(response: &reqwest::Response) -> Option<String> {
    set_cookies(response).into_iter().find_map(|cookie| {
        let pair = cookie.split(';').next()?.trim().to_owned();
        let (name, value) = pair.split_once('=')?;
        (name == "silent_login" && !value.is_empty()).then_some(pair)
    })
}

/// Whether some `Set-Cookie` removes the session cookie.
pub(crate) fn clears_the_session_cookie(cookies: &[String]) -> bool {
    cookies
        .iter()
        .any(|cookie| cookie.starts_with("silent_login=;") && cookie.contains("Max-Age=0"))
}

/// Sends `request` as raw bytes (it should say `Connection: close`) and returns the status and
/// the whole rest of the answer (headers and body) as text.
pub(crate) async fn raw_http(base: &str, request: &[u8]) -> (u16, String) {
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

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

// ---------------------------------------------------------------------------------------------
// The public contracts (docs/CONTRACTS.md)
// ---------------------------------------------------------------------------------------------

/// The keys every error body carries (docs/CONTRACTS.md, 4.2: the original eight).
pub(crate) const ERROR_BODY_KEYS: [&str; 8] = [
    "provider",
    "errcode",
    "errmsg",
    "cause",
    "causes",
    "solution",
    "docs",
    "request_id",
];

/// Keys every successful login body carries (docs/CONTRACTS.md, 1.3).
pub(crate) const LOGIN_BODY_KEYS: [&str; 6] = [
    "provider",
    "user_id",
    "union_id",
    "name",
    "token",
    "expires_at",
];

/// Reads an error response and checks the contract of docs/CONTRACTS.md section 4: status,
/// JSON content type, `WWW-Authenticate` on a 401, every key; returns the body.
pub(crate) async fn error_body(response: reqwest::Response, status: u16, errcode: i64) -> Value {
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

/// Every key of the error body is there, with the right JSON type.
pub(crate) fn assert_error_contract(body: &Value) {
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
    assert_eq!(
        body["causes_detailed"].as_array().map(Vec::len),
        body["causes"].as_array().map(Vec::len),
        "every cause also as an object: {body:#}"
    );
    assert!(body["cause_details"].is_array(), "{body:#}");
    assert!(
        body["cause_source"].is_string() == body["cause"].is_string(),
        "a narrowed cause has a source: {body:#}"
    );
    assert!(body["solution"].is_string(), "{body:#}");
    assert!(body["solution_source"].is_string(), "{body:#}");
    assert!(
        body["docs"].is_string() || body["docs"].is_null(),
        "{body:#}"
    );
    assert!(
        body["request_id"].as_str().is_some_and(|id| !id.is_empty()),
        "{body:#}"
    );
}

/// The catalog's message and solution of `provider`'s `code` in `lang`.
pub(crate) fn catalog_text(provider: &str, code: i32, lang: Lang) -> (&'static str, &'static str) {
    let entry = KnownCode::from_key(provider, code).unwrap().entry();
    (entry.message.get(lang), entry.solution.get(lang))
}

/// Checks the login body of the contract for `user`.
pub(crate) fn assert_login_body(body: &Value, platform: ProviderKind, user: &str) {
    for key in LOGIN_BODY_KEYS {
        assert!(
            body.get(key).is_some(),
            "the login body lacks `{key}`: {body:#}"
        );
    }
    assert_eq!(body["provider"], platform.as_str(), "{body:#}");
    assert_eq!(body["user_id"], user, "{body:#}");
    assert!(body["union_id"].is_string(), "{body:#}");
    assert!(body["name"].is_string(), "{body:#}");
    assert!(
        body["token"].as_str().is_some_and(|t| t.starts_with("v2.")),
        "{body:#}"
    );
    let now = now_ms() / 1000;
    let expires_at = body["expires_at"].as_u64().unwrap();
    assert!(
        expires_at > now,
        "expires_at {expires_at} is not after now {now}"
    );
}
