//! `tt.requestAccess` codes (kind `feishu_access`): minted with their scopes, accepted by the
//! Feishu exchange like requestAuthCode's, and alive three minutes instead of five.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{json, Value};
use silent_login_mock::{demo, CodeKind, MintCode, MockPlatform};

const APP_TOKEN: &str = "/open-apis/auth/v3/app_access_token/internal";
const OIDC: &str = "/open-apis/authen/v1/oidc/access_token";

async fn post(mock: &MockPlatform, path: &str, bearer: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", mock.base_url()))
        .json(&body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Exchanges `code` with a fresh app token: the HTTP status and Feishu's `code`.
async fn exchange(mock: &MockPlatform, code: &str) -> (u16, i64) {
    let body = json!({ "app_id": demo::FEISHU_APP_ID, "app_secret": demo::FEISHU_APP_SECRET });
    let (_, token) = post(mock, APP_TOKEN, None, body).await;
    let token = token["app_access_token"].as_str().unwrap();
    let grant = json!({ "grant_type": "authorization_code", "code": code });
    let (status, answer) = post(mock, OIDC, Some(token), grant).await;
    (status, answer["code"].as_i64().unwrap())
}

#[tokio::test]
async fn the_shims_request_is_minted_as_a_feishu_access_code_and_exchanged() {
    let mock = MockPlatform::builder().demo().start().await.unwrap();
    // What the shim posts for tt.requestAccess({appID, scopeList: ["offline_access"]}).
    let (status, minted) = post(
        &mock,
        "/_mock/codes",
        None,
        json!({ "provider": "feishu", "user": demo::ALICE, "kind": "feishu_access",
                "app": demo::FEISHU_APP_ID, "scopes": ["offline_access"] }),
    )
    .await;
    assert_eq!(status, 200, "{minted}");
    assert_eq!(mock.codes_minted(CodeKind::FeishuAccess), 1);
    assert_eq!(mock.codes_minted(CodeKind::FeishuWebApp), 0);
    let code = minted["code"].as_str().unwrap();
    assert_eq!(exchange(&mock, code).await, (200, 0));
    assert_eq!(
        exchange(&mock, code).await,
        (400, 20007),
        "a code works once"
    );
}

#[tokio::test]
async fn a_request_access_code_lives_three_minutes_a_request_auth_code_five() {
    let mock = MockPlatform::builder().demo().start().await.unwrap();
    let access = mock
        .mint_code(MintCode::feishu_access(demo::ALICE, Vec::<String>::new()))
        .unwrap();
    let auth = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    mock.advance_clock(Duration::from_secs(3 * 60));
    assert_eq!(exchange(&mock, &access).await, (400, 20007));
    assert_eq!(exchange(&mock, &auth).await, (200, 0));

    let access = mock
        .mint_code(MintCode::feishu_access(demo::ALICE, ["offline_access"]))
        .unwrap();
    // The emulator's clock also runs in real time: 10 s of margin for a busy machine.
    mock.advance_clock(Duration::from_secs(3 * 60 - 10));
    assert_eq!(exchange(&mock, &access).await, (200, 0));
}
