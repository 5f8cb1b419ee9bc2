#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The axum demo over plain HTTP: public routes, the injected page configuration, and the
//! login → `/api/me` → logout round trip the page performs.

use serde_json::{json, Value};
use silent_login::ProviderKind;
use silent_login_examples::axum_demo::{self, DemoServer};
use silent_login_examples::config::Config;
use silent_login_mock::{demo, MintCode};

async fn demo_server(platform: ProviderKind) -> DemoServer {
    let config = Config::emulated(platform).listen_on("127.0.0.1:0".parse().unwrap());
    axum_demo::serve(config).await.unwrap()
}

#[tokio::test]
async fn the_page_and_healthz_are_public_and_the_page_names_the_emulators_jsapi() {
    let server = demo_server(ProviderKind::Feishu).await;
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}healthz", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let page = client.get(server.url()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let mock = server.backend().emulator().unwrap().base_url();
    assert!(
        html.contains(&format!(r#"<script src="{mock}/_mock/jsapi.js"></script>"#)),
        "{html}"
    );
    assert!(
        html.contains(&format!(r#""appId":"{}""#, demo::FEISHU_APP_ID)),
        "{html}"
    );
    assert!(html.contains(r#""provider":"feishu""#), "{html}");
    for asset in ["static/app.js", "static/style.css", "config.js"] {
        let response = client
            .get(format!("{}{asset}", server.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
    }
}

#[tokio::test]
async fn me_needs_a_session_and_answers_the_catalog_error_without_one() {
    let server = demo_server(ProviderKind::DingTalk).await;
    let response = reqwest::get(format!("{}api/me", server.url()))
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errcode"], 700201);
    assert!(body["solution"]
        .as_str()
        .is_some_and(|text| !text.is_empty()));
}

#[tokio::test]
async fn a_login_gives_a_plain_http_cookie_that_me_and_logout_accept() {
    let server = demo_server(ProviderKind::DingTalk).await;
    let code = server
        .backend()
        .emulator()
        .unwrap()
        .mint_code(MintCode::dingtalk(demo::ALICE))
        .unwrap();
    let client = reqwest::Client::new();
    let login = client
        .post(format!("{}api/login", server.url()))
        .json(&json!({ "tmp_auth_code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let set_cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        !set_cookie.contains("Secure"),
        "plain-HTTP development: {set_cookie}"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_owned();

    let me = client
        .get(format!("{}api/me", server.url()))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let identity: Value = me.json().await.unwrap();
    assert_eq!(identity["user_id"], "alice");
    assert_eq!(identity["tenant"], demo::DINGTALK_CORP_ID);

    let logout = client
        .post(format!("{}api/logout", server.url()))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 200);
    let after = client
        .get(format!("{}api/me", server.url()))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn real_credentials_use_the_given_jsapi_sdk_and_secure_cookies() {
    let vars = [
        ("DINGTALK_APP_KEY", "dingkey"),
        ("DINGTALK_APP_SECRET", "dingsecret"),
        ("DINGTALK_CORP_ID", "dingrealcorp"),
        (
            "SILENT_LOGIN_JSAPI_URL",
            "https://sdk.example.test/dingtalk.js",
        ),
        ("LISTEN", "127.0.0.1:0"),
    ];
    let config = Config::from_lookup(|name| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    })
    .unwrap();
    let server = axum_demo::serve(config).await.unwrap();
    assert!(server.backend().emulator().is_none());
    let html = reqwest::get(server.url())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<script src="https://sdk.example.test/dingtalk.js"></script>"#));
    assert!(html.contains(r#""corpId":"dingrealcorp""#));
    assert!(!html.contains("dingsecret"));
}
