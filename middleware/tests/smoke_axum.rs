#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End to end under axum against the emulator: log in, call a protected route, log out.

use axum::{routing::get, Router};
use silent_login::{DingTalk, Identity, SilentLoginLayer};
use silent_login_mock::{demo, MintCode, MockPlatform};

async fn me(user: Identity) -> String {
    format!("{}|{}", user.user_id, user.name.unwrap_or_default())
}

#[tokio::test]
async fn login_then_me_then_logout() {
    let mock = MockPlatform::builder().demo().start().await.unwrap();
    let provider = DingTalk::new(demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET)
        .corp_id(demo::DINGTALK_CORP_ID)
        .api_base(mock.base_url());
    let app = Router::new()
        .route("/api/me", get(me))
        .layer(SilentLoginLayer::new(provider).secure_cookie(false));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = reqwest::Client::new();
    let base = format!("http://{addr}");

    let refused = client.get(format!("{base}/api/me")).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["errcode"], 700201);

    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    let login = client
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"tmp_auth_code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let body: serde_json::Value = login.json().await.unwrap();
    assert_eq!(body["user_id"], "alice");
    let token = body["token"].as_str().unwrap().to_owned();

    let me = client
        .get(format!("{base}/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert!(me.text().await.unwrap().starts_with("alice|"));

    let again = client
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"tmp_auth_code": code}))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 401);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["errcode"], 40078);
    assert_eq!(body["cause_id"], "code_used");
    println!("{body:#}");

    let out = client
        .post(format!("{base}/api/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    let after = client
        .get(format!("{base}/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    let body: serde_json::Value = after.json().await.unwrap();
    assert_eq!(body["errcode"], 700204);
}
