#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The axum demo's H5 page in headless Chromium, driven over WebDriver: the page's real
//! `dd.runtime.permission.requestAuthCode` / `tt.requestAccess` code runs against the
//! emulator's JSAPI shim, logs in, survives a reload, logs out, and shows the catalog's help
//! when the platform refuses — in Chinese when the browser asks for it. On an older Feishu
//! client (`?mock_client=old`, `?mock_client=no_access`) the page falls back to
//! `tt.requestAuthCode`.
//!
//! Needs `chromium` and `chromedriver`: `apt-get install -y chromium chromium-driver`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use silent_login::catalog::{lookup, Entry, Lang};
use silent_login::ProviderKind;
use silent_login_examples::axum_demo::{self, DemoServer};
use silent_login_examples::config::Config;
use silent_login_mock::{CodeKind, Endpoint, Fault};
use tokio::sync::Mutex;

const CHROMIUM: &str = "/usr/bin/chromium";
const INSTALL: &str = "apt-get install -y chromium chromium-driver";
const WAIT: Duration = Duration::from_secs(20);

/// One browser at a time: two cores, and Chromium is heavy.
static BROWSER: Mutex<()> = Mutex::const_new(());

/// chromedriver (killed on drop) and a WebDriver session on headless Chromium.
struct Browser {
    client: Option<Client>,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// Starts chromedriver on a free port and opens a session; `lang` is the browser's language.
    async fn start(lang: &str) -> Self {
        let chromedriver = find_on_path("chromedriver").unwrap_or_else(|| {
            panic!("chromedriver is not installed; the browser tests need it: {INSTALL}")
        });
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is not installed; the browser tests need it: {INSTALL}"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", chromedriver.display()));
        let profile = tempfile::tempdir().unwrap();
        let mut browser = Self {
            client: None,
            driver,
            _profile: profile,
        };
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--window-size=760,620",
                    format!("--lang={lang}"),
                    format!("--user-data-dir={}", browser._profile.path().display()),
                ],
                "prefs": { "intl": { "accept_languages": lang } },
            }
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            let connected = ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await;
            match connected {
                Ok(client) => {
                    browser.client = Some(client);
                    return browser;
                }
                Err(error) if started.elapsed() > WAIT => {
                    panic!("no WebDriver session from chromedriver at {url}: {error}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }

    /// Waits until the page shows `state` (`user`, `logged-out`, `error`), or fails with
    /// what it shows instead.
    async fn wait_for_state(&self, state: &str) {
        let selector = format!("body[data-state='{state}']");
        let found = self
            .client()
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(&selector))
            .await;
        if let Err(error) = found {
            let body = self.client().source().await.unwrap_or_default();
            panic!("the page never reached `{state}` ({error}); it shows:\n{body}");
        }
    }

    /// Whether the element is shown (not hidden itself or by an ancestor).
    async fn displayed(&self, id: &str) -> bool {
        let element = self.client().find(Locator::Id(id)).await.unwrap();
        element.is_displayed().await.unwrap()
    }

    /// Waits until `#status-text` says `text`.
    async fn wait_for_status(&self, text: &str) {
        let started = Instant::now();
        loop {
            let shown = self.text("status-text").await;
            if shown == text && self.displayed("status").await {
                return;
            }
            assert!(
                started.elapsed() < WAIT,
                "the status never said {text:?}: {shown:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Picks `user` in the emulator's picker once it shows.
    async fn pick(&self, user: &str) {
        let option = format!("#silent-login-mock-user option[value='{user}']");
        self.client()
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(&option))
            .await
            .unwrap();
        let picker = self
            .client()
            .find(Locator::Id("silent-login-mock-user"))
            .await
            .unwrap();
        picker.select_by_value(user).await.unwrap();
        self.click("silent-login-mock-go").await;
    }

    async fn text(&self, id: &str) -> String {
        let element = self.client().find(Locator::Id(id)).await.unwrap();
        element.text().await.unwrap().trim().to_owned()
    }

    async fn click(&self, id: &str) {
        self.client()
            .find(Locator::Id(id))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    async fn session_cookie(&self) -> Option<String> {
        let cookies = self.client().get_all_cookies().await.unwrap();
        cookies
            .iter()
            .find(|cookie| cookie.name() == "silent_login" && !cookie.value().is_empty())
            .map(|cookie| cookie.value().to_owned())
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

async fn demo(provider: ProviderKind) -> DemoServer {
    let config = Config::emulated(provider).listen_on("127.0.0.1:0".parse().unwrap());
    axum_demo::serve(config).await.unwrap()
}

fn entry(provider: ProviderKind, code: i32) -> &'static Entry {
    lookup(provider, code).unwrap().entry()
}

/// `GET /api/me` from outside the browser, with the browser's session cookie.
async fn me(server: &DemoServer, cookie: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}api/me", server.url()))
        .header("cookie", format!("silent_login={cookie}"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn exchanges(server: &DemoServer) -> u64 {
    let stats = server.backend().emulator().unwrap().stats();
    stats.calls(Endpoint::DingTalkGetUserInfoV2) + stats.calls(Endpoint::FeishuOidcAccessToken)
}

fn screenshot_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/screenshots")
        .join(name)
}

async fn save_screenshot(browser: &Browser, path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, browser.client().screenshot().await.unwrap()).unwrap();
}

/// Log in as alice, check `/api/me` agrees, reload (no new login), log out.
async fn login_reload_logout(provider: ProviderKind, screenshot: Option<&Path>) {
    let _one_at_a_time = BROWSER.lock().await;
    let server = demo(provider).await;
    let browser = Browser::start("en-US").await;
    let page = format!("{}?mock_user=alice", server.url());
    browser.client().goto(&page).await.unwrap();

    browser.wait_for_state("user").await;
    assert_eq!(browser.text("user-id").await, "alice");
    assert_eq!(browser.text("user-name").await, "张爱丽 Alice");
    let cookie = browser
        .session_cookie()
        .await
        .expect("the login set the session cookie");
    let (status, identity) = me(&server, &cookie).await;
    assert_eq!(status, 200, "{identity}");
    assert_eq!(identity["user_id"], "alice");
    assert_eq!(identity["provider"], provider.as_str());
    if let Some(path) = screenshot {
        save_screenshot(&browser, path).await;
    }

    let exchanged = exchanges(&server);
    browser.client().refresh().await.unwrap();
    browser.wait_for_state("user").await;
    assert_eq!(browser.text("user-id").await, "alice");
    assert_eq!(exchanges(&server), exchanged, "the reload logged in again");
    assert_eq!(
        browser.session_cookie().await.as_deref(),
        Some(cookie.as_str())
    );

    browser.click("logout").await;
    browser.wait_for_state("logged-out").await;
    assert_eq!(browser.session_cookie().await, None);
    let (status, body) = me(&server, &cookie).await;
    assert_eq!(status, 401, "the logged-out session still works: {body}");
    assert_eq!(body["errcode"], 700204);
    browser.client().refresh().await.unwrap();
    browser.wait_for_state("logged-out").await;

    browser.click("login").await;
    browser.wait_for_state("user").await;
    assert_eq!(browser.text("user-id").await, "alice");
    browser.close().await;
}

/// Opens `query` and returns what `#error` shows: errcode, errmsg, cause, causes, solution.
async fn error_shown(
    provider: ProviderKind,
    lang: &str,
    query: &str,
) -> (DemoServer, Browser, [String; 5]) {
    let server = demo(provider).await;
    let browser = Browser::start(lang).await;
    browser
        .client()
        .goto(&format!("{}?{query}", server.url()))
        .await
        .unwrap();
    browser.wait_for_state("error").await;
    let shown = [
        browser.text("errcode").await,
        browser.text("errmsg").await,
        browser.text("cause").await,
        browser.text("causes").await,
        browser.text("solution").await,
    ];
    (server, browser, shown)
}

#[tokio::test]
async fn dingtalk_user_logs_in_keeps_the_session_on_reload_and_logs_out() {
    let screenshot = screenshot_path("axum-demo.png");
    login_reload_logout(ProviderKind::DingTalk, Some(&screenshot)).await;
    let png = std::fs::read(screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
}

#[tokio::test]
async fn feishu_user_logs_in_keeps_the_session_on_reload_and_logs_out() {
    login_reload_logout(ProviderKind::Feishu, None).await;
}

#[tokio::test]
async fn dingtalk_user_outside_the_visible_scope_sees_the_explanation_and_fix() {
    let _one_at_a_time = BROWSER.lock().await;
    let (_server, browser, [errcode, errmsg, cause, causes, solution]) =
        error_shown(ProviderKind::DingTalk, "en-US", "mock_user=carol").await;
    let expected = entry(ProviderKind::DingTalk, 40079);
    assert_eq!(errcode, "40079");
    assert_eq!(errmsg, expected.message.get(Lang::En));
    assert_eq!(solution, expected.solution.get(Lang::En));
    // DingTalk's answer does not say which of the four documented causes applies: all shown.
    assert!(expected.causes.len() > 1);
    for documented in expected.causes {
        assert!(causes.contains(documented.text(Lang::En)), "{causes}");
    }
    assert_eq!(cause, "");
    assert!(
        !browser.displayed("cause-box").await,
        "an empty \"What happened\""
    );
    save_screenshot(&browser, &screenshot_path("axum-demo-error.png")).await;
    browser.close().await;
}

#[tokio::test]
async fn feishu_user_outside_the_visible_scope_sees_the_explanation_and_fix() {
    let _one_at_a_time = BROWSER.lock().await;
    let (_server, browser, [errcode, errmsg, cause, causes, solution]) =
        error_shown(ProviderKind::Feishu, "en-US", "mock_user=carol").await;
    let expected = entry(ProviderKind::Feishu, 10228);
    assert_eq!(errcode, "10228");
    assert_eq!(errmsg, expected.message.get(Lang::En));
    // Its one documented cause is what happened, and not repeated as a possible one.
    let [only] = expected.causes else {
        panic!("10228 has one documented cause")
    };
    assert_eq!(cause, only.text(Lang::En));
    assert_eq!(
        causes, "",
        "the cause is repeated under the possible causes"
    );
    assert!(!browser.displayed("causes-box").await);
    assert_eq!(solution, expected.solution.get(Lang::En));
    assert!(solution.contains("可用范围"), "{solution}");
    browser.close().await;
}

#[tokio::test]
async fn feishu_redirect_url_failure_shows_the_redirect_url_advice() {
    let _one_at_a_time = BROWSER.lock().await;
    let (_server, browser, [errcode, errmsg, _, causes, solution]) = error_shown(
        ProviderKind::Feishu,
        "en-US",
        "mock_user=alice&mock_fail=10236",
    )
    .await;
    let expected = entry(ProviderKind::Feishu, 10236);
    assert_eq!(errcode, "10236");
    assert_eq!(errmsg, expected.message.get(Lang::En));
    assert_eq!(solution, expected.solution.get(Lang::En));
    assert!(causes.contains("重定向 URL"), "{causes}");
    browser.close().await;
}

/// The shim fails only with documented codes: DingTalk `mock_fail=3` is explained by its
/// catalog entry (it used to end in 700110), and a value the platform does not document gives
/// the client's documented catch-all instead of a made-up failure.
#[tokio::test]
async fn forced_jsapi_failures_are_documented_codes_with_their_explanation() {
    let _one_at_a_time = BROWSER.lock().await;
    for (provider, query, code) in [
        (ProviderKind::DingTalk, "mock_user=alice&mock_fail=3", 3),
        (
            ProviderKind::Feishu,
            "mock_user=alice&mock_fail=424242",
            10232,
        ),
    ] {
        let (_server, browser, [errcode, errmsg, _, _, solution]) =
            error_shown(provider, "en-US", query).await;
        let expected = entry(provider, code);
        assert_eq!(errcode, code.to_string(), "{query}");
        assert_eq!(errmsg, expected.message.get(Lang::En), "{query}");
        assert_eq!(solution, expected.solution.get(Lang::En), "{query}");
        browser.close().await;
    }
}

#[tokio::test]
async fn a_chinese_browser_gets_the_explanations_in_chinese() {
    let _one_at_a_time = BROWSER.lock().await;
    let (_server, browser, [errcode, errmsg, _, causes, solution]) =
        error_shown(ProviderKind::DingTalk, "zh-CN", "mock_user=carol").await;
    let expected = entry(ProviderKind::DingTalk, 40079);
    assert_eq!(errcode, "40079");
    assert_eq!(errmsg, expected.message.get(Lang::Zh));
    assert_eq!(solution, expected.solution.get(Lang::Zh));
    assert!(
        causes.contains(expected.causes[0].text(Lang::Zh)),
        "{causes}"
    );
    assert_eq!(browser.text("retry").await, "重试");
    browser.close().await;

    let (_server, browser, [errcode, errmsg, _, _, solution]) = error_shown(
        ProviderKind::Feishu,
        "zh-CN",
        "mock_user=alice&mock_fail=10236",
    )
    .await;
    let expected = entry(ProviderKind::Feishu, 10236);
    assert_eq!(errcode, "10236");
    assert_eq!(errmsg, expected.message.get(Lang::Zh));
    assert_eq!(solution, expected.solution.get(Lang::Zh));
    browser.close().await;
}

#[tokio::test]
async fn a_developer_picks_a_demo_user_in_the_emulators_picker() {
    let _one_at_a_time = BROWSER.lock().await;
    let server = demo(ProviderKind::DingTalk).await;
    let browser = Browser::start("en-US").await;
    browser.client().goto(&server.url()).await.unwrap();
    // The waiting page points at the picker.
    browser.wait_for_status(PICK_USER).await;
    browser.pick("bob").await;
    browser.wait_for_state("user").await;
    assert_eq!(browser.text("user-id").await, "bob");
    assert_eq!(browser.text("user-admin").await, "yes");

    // "Switch user" (development only) logs out and shows the picker again.
    assert!(browser.displayed("switch-user").await);
    browser.click("switch-user").await;
    browser.wait_for_status(PICK_USER).await;
    browser.pick("alice").await;
    browser.wait_for_state("user").await;
    assert_eq!(browser.text("user-id").await, "alice");
    browser.close().await;
}

/// What the page says while the emulator's picker waits (English).
const PICK_USER: &str =
    "Choose a demo user in the emulator\u{2019}s box at the bottom right to log in.";

#[tokio::test]
async fn mock_user_in_the_url_overrides_the_session_and_the_stored_pick() {
    let _one_at_a_time = BROWSER.lock().await;
    let server = demo(ProviderKind::Feishu).await;
    let browser = Browser::start("en-US").await;
    browser.client().goto(&server.url()).await.unwrap();
    browser.pick("bob").await;
    browser.wait_for_state("user").await;
    assert_eq!(browser.text("user-id").await, "bob");

    let page = format!("{}?mock_user=alice", server.url());
    browser.client().goto(&page).await.unwrap();
    browser.wait_for_state("user").await;
    assert_eq!(
        browser.text("user-id").await,
        "alice",
        "the stored pick or the session won"
    );
    browser.close().await;
}

#[tokio::test]
async fn without_the_jsapi_the_page_shows_no_empty_headings() {
    let _one_at_a_time = BROWSER.lock().await;
    // Real credentials (never used: the page cannot get a code) and an SDK URL that does not load.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let vars = [
        ("DINGTALK_APP_KEY", "dingkey".to_owned()),
        ("DINGTALK_APP_SECRET", "dingsecret".to_owned()),
        ("DINGTALK_CORP_ID", "dingcorp".to_owned()),
        ("DINGTALK_API_BASE", format!("http://{closed}")),
        (
            "SILENT_LOGIN_JSAPI_URL",
            format!("http://{closed}/dingtalk.open.js"),
        ),
        ("LISTEN", "127.0.0.1:0".to_owned()),
    ];
    let config = Config::from_vars(vars.iter().cloned()).unwrap();
    let server = axum_demo::serve(config).await.unwrap();
    let browser = Browser::start("en-US").await;
    browser.client().goto(&server.url()).await.unwrap();
    browser.wait_for_state("error").await;
    assert!(browser.text("errmsg").await.contains("did not load"));
    assert!(
        !browser.displayed("causes-box").await,
        "an empty \"Possible causes\""
    );
    assert!(
        !browser.displayed("cause-box").await,
        "an empty \"What happened\""
    );
    assert!(browser.displayed("solution-box").await);
    browser.close().await;
}

#[tokio::test]
async fn a_chinese_page_shows_the_detail_in_chinese_with_code_spans() {
    let _one_at_a_time = BROWSER.lock().await;
    let server = demo(ProviderKind::DingTalk).await;
    let mock = server.backend().emulator().unwrap();
    mock.inject_fault(Endpoint::DingTalkGetUserInfoV2, Fault::GarbledJson, 1);
    let browser = Browser::start("zh-CN").await;
    let page = format!("{}?mock_user=alice", server.url());
    browser.client().goto(&page).await.unwrap();
    browser.wait_for_state("error").await;
    assert_eq!(browser.text("errcode").await, "700403");
    let detail = browser.text("detail").await;
    assert!(
        detail.starts_with("HTTP 200 OK：不是平台的 JSON 应答格式："),
        "{detail}"
    );
    assert!(!detail.contains('`'), "backticks shown literally: {detail}");
    let code = browser
        .client()
        .find(Locator::Css("#detail code"))
        .await
        .expect("the code span is rendered as <code>");
    assert!(!code.text().await.unwrap().is_empty());
    browser.close().await;
}

/// What the page says (development only) about the JSAPI it asked for the code.
const VIA_REQUEST_ACCESS: &str = "Login JSAPI: tt.requestAccess";

/// Logs alice in on the Feishu demo with `query` added; returns the server and the page's
/// `#jsapi` line.
async fn feishu_login_with(query: &str) -> (DemoServer, String) {
    let server = demo(ProviderKind::Feishu).await;
    let browser = Browser::start("en-US").await;
    let page = format!("{}?mock_user=alice{query}", server.url());
    browser.client().goto(&page).await.unwrap();
    browser.wait_for_state("user").await;
    assert_eq!(browser.text("user-id").await, "alice", "{query}");
    let jsapi = browser.text("jsapi").await;
    assert!(browser.displayed("jsapi").await, "{query}");
    browser.close().await;
    (server, jsapi)
}

#[tokio::test]
async fn feishu_logs_in_through_request_access() {
    let _one_at_a_time = BROWSER.lock().await;
    let (server, jsapi) = feishu_login_with("").await;
    assert_eq!(jsapi, VIA_REQUEST_ACCESS);
    let mock = server.backend().emulator().unwrap();
    assert_eq!(mock.codes_minted(CodeKind::FeishuAccess), 1);
    assert_eq!(mock.codes_minted(CodeKind::FeishuWebApp), 0);
}

/// A client before V6.9.0: the JSSDK has no `tt.requestAccess`, or the client answers it
/// with errno 103; either way the page logs in through `tt.requestAuthCode`.
#[tokio::test]
async fn an_older_feishu_client_logs_in_through_request_auth_code() {
    let _one_at_a_time = BROWSER.lock().await;
    for (query, why) in [
        (
            "&mock_client=old",
            "(this client\u{2019}s JSSDK has no tt.requestAccess)",
        ),
        (
            "&mock_client=no_access",
            "(tt.requestAccess answered errno 103: the client is older than V6.9.0)",
        ),
    ] {
        let (server, jsapi) = feishu_login_with(query).await;
        assert_eq!(jsapi, format!("Login JSAPI: tt.requestAuthCode {why}"));
        let mock = server.backend().emulator().unwrap();
        assert_eq!(mock.codes_minted(CodeKind::FeishuWebApp), 1, "{query}");
        assert_eq!(mock.codes_minted(CodeKind::FeishuAccess), 0, "{query}");
    }
}

/// errno 2700002 ("authorization failed", also the user's refusal) is explained by its catalog
/// entry — the errno space, not an errCode.
#[tokio::test]
async fn a_request_access_failure_shows_its_errno_entry() {
    let _one_at_a_time = BROWSER.lock().await;
    let (_server, browser, [errcode, errmsg, _, _, solution]) = error_shown(
        ProviderKind::Feishu,
        "en-US",
        "mock_user=alice&mock_fail=2700002",
    )
    .await;
    let expected = entry(ProviderKind::Feishu, 2_700_002);
    assert_eq!(expected.raised_by.as_str(), "jsapi_errno");
    assert_eq!(errcode, "2700002");
    assert_eq!(errmsg, expected.message.get(Lang::En));
    assert_eq!(solution, expected.solution.get(Lang::En));
    assert_eq!(browser.text("jsapi").await, VIA_REQUEST_ACCESS);
    browser.close().await;
}

/// Calls `tt.requestAccess(options)` in the page (`options` a JavaScript object literal) and
/// returns what its `success` or `fail` callback received, as `{"success": …}` / `{"fail": …}`.
async fn request_access(browser: &Browser, options: &str) -> Value {
    let script = format!(
        "var done = arguments[arguments.length - 1]; var options = {options};
         options.success = function (r) {{ done({{ success: r }}); }};
         options.fail = function (e) {{ done({{ fail: e }}); }};
         tt.requestAccess(options);"
    );
    browser
        .client()
        .execute_async(&script, vec![])
        .await
        .unwrap()
}

/// The shim's `tt.requestAccess` keeps the documented rules, so a page that gets them wrong
/// fails in development as it would in the client: `appID` with a capital D (requestAuthCode's
/// `appId` is refused), `scopeList` an array; errno 104 "invalid parameter" for both.
#[tokio::test]
async fn the_emulated_request_access_refuses_app_id_and_a_missing_scope_list() {
    let _one_at_a_time = BROWSER.lock().await;
    let server = demo(ProviderKind::Feishu).await;
    let browser = Browser::start("en-US").await;
    let page = format!("{}?mock_user=alice", server.url());
    browser.client().goto(&page).await.unwrap();
    browser.wait_for_state("user").await;
    let app = silent_login_mock::demo::FEISHU_APP_ID;

    let ok = request_access(
        &browser,
        &format!("{{appID: '{app}', scopeList: [], state: 's1'}}"),
    )
    .await;
    assert_eq!(ok["success"]["errMsg"], "requestAccess:ok", "{ok}");
    assert_eq!(ok["success"]["state"], "s1", "{ok}");
    assert!(
        ok["success"]["code"]
            .as_str()
            .is_some_and(|c| !c.is_empty()),
        "{ok}"
    );

    for options in [
        format!("{{appId: '{app}', scopeList: []}}"),
        format!("{{appID: '{app}'}}"),
        format!("{{appID: '{app}', scopeList: 'offline_access'}}"),
    ] {
        let failed = request_access(&browser, &options).await;
        let fail = &failed["fail"];
        assert_eq!(fail["errno"], 104, "{options}: {failed}");
        assert_eq!(
            fail["errString"], "invalid parameter",
            "{options}: {failed}"
        );
        assert!(
            fail["errMsg"]
                .as_str()
                .is_some_and(|m| m.starts_with("requestAccess:fail")),
            "{options}: {failed}"
        );
        assert!(fail.get("errCode").is_none(), "{options}: {failed}");
    }
    let mock = server.backend().emulator().unwrap();
    // The page's login and the one good call above.
    assert_eq!(mock.codes_minted(CodeKind::FeishuAccess), 2);
    browser.close().await;
}
