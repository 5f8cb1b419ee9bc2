//! Nothing silent-login (or the HTTP stack under it) logs, and nothing its `Debug` prints, contains
//! an app secret, an auth code or a platform token — at TRACE level, through successes, refusals,
//! faults and a token revocation with its retry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use silent_login::{AuthCode, Authenticator, DingTalk, Feishu, LoginError};
use silent_login_mock::{demo, Endpoint, Fault, MintCode, MockPlatform, ProviderKind};
use support::{dingtalk, feishu, short_timeout, start_mock};

const WRONG_SECRET: &str = "wrong-secret-which-must-never-show-9f8e7d";

/// Everything every subscriber layer writes, as bytes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Installs a TRACE subscriber for every target, `log` records (reqwest's) included.
fn capture() -> Captured {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("the only subscriber of this test binary");
    captured
}

/// The app token the platform currently hands this app (the one the authenticator cached:
/// both platforms return the same token while it is valid).
async fn current_tokens(mock: &MockPlatform) -> Vec<String> {
    let client = reqwest::Client::new();
    let dingtalk: Value = client
        .get(format!("{}/gettoken", mock.base_url()))
        .query(&[
            ("appkey", demo::DINGTALK_APP_KEY),
            ("appsecret", demo::DINGTALK_APP_SECRET),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let feishu: Value = client
        .post(format!(
            "{}/open-apis/auth/v3/app_access_token/internal",
            mock.base_url()
        ))
        .json(&json!({ "app_id": demo::FEISHU_APP_ID, "app_secret": demo::FEISHU_APP_SECRET }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    vec![
        dingtalk["access_token"].as_str().unwrap().to_owned(),
        feishu["app_access_token"].as_str().unwrap().to_owned(),
        feishu["tenant_access_token"].as_str().unwrap().to_owned(),
    ]
}

/// Longest run of lowercase hex digits: codes are 32 of them, tokens carry 32–48.
fn longest_hex_run(text: &str) -> (usize, String) {
    let mut best = (0, String::new());
    let mut run = String::new();
    for ch in text.chars().chain(std::iter::once(' ')) {
        if ch.is_ascii_digit() || ('a'..='f').contains(&ch) {
            run.push(ch);
        } else {
            if run.len() > best.0 {
                best = (run.len(), run.clone());
            }
            run.clear();
        }
    }
    best
}

struct Run {
    codes: Vec<String>,
    errors: Vec<LoginError>,
}

impl Run {
    fn code(&mut self, mock: &MockPlatform, request: MintCode) -> AuthCode {
        let code = mock.mint_code(request).unwrap();
        self.codes.push(code.clone());
        AuthCode::parse(&code).unwrap()
    }

    async fn login(&mut self, auth: &Authenticator, code: AuthCode) {
        if let Err(error) = auth.exchange(code).await {
            self.errors.push(error);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_code_or_token_is_logged_or_debug_printed() {
    let captured = capture();
    let mock = start_mock().await;
    let mut run = Run {
        codes: Vec::new(),
        errors: Vec::new(),
    };
    let fast = short_timeout(Duration::from_millis(300));
    let providers = (
        dingtalk(&mock).http_config(fast),
        feishu(&mock).http_config(fast),
        Feishu::lark(demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET).api_base(mock.base_url()),
    );
    let ding = Authenticator::new(providers.0.clone());
    let fei = Authenticator::new(providers.1.clone());
    let lark = Authenticator::new(providers.2.clone());
    let wrong_ding = Authenticator::new(
        DingTalk::new(demo::DINGTALK_APP_KEY, WRONG_SECRET).api_base(mock.base_url()),
    );
    let wrong_fei = Authenticator::new(
        Feishu::new(demo::FEISHU_APP_ID, WRONG_SECRET).api_base(mock.base_url()),
    );

    // Successes, and a replay of each code.
    for (auth, request) in [
        (&ding, MintCode::dingtalk(demo::ALICE)),
        (&ding, MintCode::dingtalk(demo::BOB)),
        (&fei, MintCode::feishu(demo::ALICE)),
        (&lark, MintCode::feishu(demo::BOB)),
    ] {
        let code = run.code(&mock, request);
        run.login(auth, code.clone()).await;
        run.login(auth, code).await;
    }
    let mut tokens = current_tokens(&mock).await;

    // Refusals by the platform.
    let carol = run.code(&mock, MintCode::dingtalk(demo::CAROL));
    run.login(&ding, carol).await;
    let dave = run.code(&mock, MintCode::feishu(demo::DAVE));
    run.login(&fei, dave).await;
    let code = run.code(&mock, MintCode::dingtalk(demo::ALICE));
    run.login(&wrong_ding, code).await;
    let code = run.code(&mock, MintCode::feishu(demo::ALICE));
    run.login(&wrong_fei, code).await;

    // Faults on every endpoint.
    for (endpoint, auth, request) in [
        (
            Endpoint::DingTalkGetUserInfoV2,
            &ding,
            MintCode::dingtalk(demo::ALICE),
        ),
        (
            Endpoint::FeishuOidcAccessToken,
            &fei,
            MintCode::feishu(demo::ALICE),
        ),
        (
            Endpoint::FeishuUserInfo,
            &fei,
            MintCode::feishu(demo::ALICE),
        ),
    ] {
        for fault in [
            Fault::Latency(Duration::from_millis(600)),
            Fault::HttpStatus(503),
            Fault::GarbledJson,
            Fault::ConnectionReset,
            Fault::ErrorCode {
                code: 123_456,
                message: "mock: unknown".to_owned(),
            },
        ] {
            mock.inject_fault(endpoint, fault, 1);
            let code = run.code(&mock, request.clone());
            run.login(auth, code).await;
        }
    }

    // The tokens are revoked mid-run: one refresh and a retry each.
    mock.revoke_tokens();
    mock.set_visible(ProviderKind::Feishu, demo::ALICE, true);
    let code = run.code(&mock, MintCode::dingtalk(demo::BOB));
    run.login(&ding, code).await;
    let code = run.code(&mock, MintCode::feishu(demo::BOB));
    run.login(&fei, code).await;
    let code = run.code(&mock, MintCode::feishu(demo::ALICE));
    run.login(&lark, code).await;
    tokens.extend(current_tokens(&mock).await);

    // Faults on the token endpoints, on fresh caches.
    for fault in [Fault::HttpStatus(503), Fault::ConnectionReset] {
        mock.inject_fault(Endpoint::DingTalkGetToken, fault.clone(), 1);
        mock.inject_fault(Endpoint::FeishuAppAccessToken, fault, 1);
        let code = run.code(&mock, MintCode::dingtalk(demo::ALICE));
        run.login(&Authenticator::new(dingtalk(&mock)), code).await;
        let code = run.code(&mock, MintCode::feishu(demo::ALICE));
        run.login(&Authenticator::new(feishu(&mock)), code).await;
    }
    // Let the delayed answers of the latency faults finish (and log, if they would).
    tokio::time::sleep(Duration::from_millis(700)).await;

    let logs = captured.text();
    if let Some(path) = std::env::var_os("SILENT_LOGIN_DUMP_LOGS") {
        std::fs::write(path, &logs).unwrap();
    }
    assert!(
        logs.lines().count() > 20,
        "the subscriber captured the run:\n{logs}"
    );
    assert!(
        run.errors.len() >= 20,
        "the run had failures: {}",
        run.errors.len()
    );

    let mut secrets: Vec<(&str, String)> = vec![
        (
            "the DingTalk app secret",
            demo::DINGTALK_APP_SECRET.to_owned(),
        ),
        ("the Feishu app secret", demo::FEISHU_APP_SECRET.to_owned()),
        ("a wrong app secret", WRONG_SECRET.to_owned()),
    ];
    secrets.extend(run.codes.iter().map(|code| ("an auth code", code.clone())));
    secrets.extend(tokens.iter().map(|token| ("an app token", token.clone())));

    for (what, secret) in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "{what} `{secret}` was logged"
        );
    }
    let (run_len, run_text) = longest_hex_run(&logs);
    assert!(
        run_len < 32,
        "a code- or token-like hex string was logged: {run_text}"
    );
    for prefix in ["u-", "ur-", "a-g1044", "t-g1044"] {
        let leaked = logs.match_indices(prefix).any(|(at, _)| {
            longest_hex_run(&logs[at + prefix.len()..][..40.min(logs.len() - at - prefix.len())]).0
                >= 30
        });
        assert!(!leaked, "a Feishu `{prefix}` token was logged");
    }

    // Debug output.
    let mut debug = vec![
        format!("{:?}", providers.0),
        format!("{:?}", providers.1),
        format!("{:?}", providers.2),
        format!("{ding:?}"),
        format!("{fei:?}"),
        format!("{wrong_ding:?}"),
        format!("{wrong_fei:?}"),
    ];
    debug.extend(run.errors.iter().map(|error| format!("{error:?} {error}")));
    debug.extend(
        run.errors.iter().map(|error| {
            serde_json::to_string(&error.body(silent_login::Lang::En, "req")).unwrap()
        }),
    );
    for text in &debug {
        for (what, secret) in &secrets {
            assert!(!text.contains(secret.as_str()), "{what} in Debug: {text}");
        }
    }
    assert!(debug[0].contains("AppSecret(***)"), "{}", debug[0]);
}
