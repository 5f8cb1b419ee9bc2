//! Feishu/Lark endpoints behave like `open.feishu.cn`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{json, Value};
use silent_login_mock::{demo, CodeKind, FeishuApp, MintCode, MockPlatform, ProviderKind};

const APP_TOKEN: &str = "/open-apis/auth/v3/app_access_token/internal";
const TENANT_TOKEN: &str = "/open-apis/auth/v3/tenant_access_token/internal";
const OIDC: &str = "/open-apis/authen/v1/oidc/access_token";
const V1: &str = "/open-apis/authen/v1/access_token";
const USER_INFO: &str = "/open-apis/authen/v1/user_info";

async fn start() -> MockPlatform {
    MockPlatform::builder().demo().start().await.unwrap()
}

/// POSTs JSON; returns the HTTP status and the body.
async fn post(mock: &MockPlatform, path: &str, bearer: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", mock.base_url()))
        .json(&body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert!(response.headers().contains_key("x-tt-logid"));
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn app_token_body(mock: &MockPlatform, app_id: &str, secret: &str) -> (u16, Value) {
    post(
        mock,
        APP_TOKEN,
        None,
        json!({ "app_id": app_id, "app_secret": secret }),
    )
    .await
}

async fn app_token(mock: &MockPlatform) -> String {
    let (status, body) = app_token_body(mock, demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET).await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(0)), "{body}");
    body["app_access_token"].as_str().unwrap().to_owned()
}

async fn exchange(mock: &MockPlatform, token: &str, code: &str) -> (u16, Value) {
    post(
        mock,
        OIDC,
        Some(token),
        json!({ "grant_type": "authorization_code", "code": code }),
    )
    .await
}

async fn code_error(mock: &MockPlatform, code: &str) -> i64 {
    let token = app_token(mock).await;
    let (status, body) = exchange(mock, &token, code).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["log_id"].is_string());
    body["code"].as_i64().unwrap()
}

#[tokio::test]
async fn app_access_token_is_flat_with_expire_and_a_tenant_token() {
    let mock = start().await;
    let (_, body) = app_token_body(&mock, demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET).await;
    assert_eq!(body["code"], 0);
    assert_eq!(body["msg"], "ok");
    assert_eq!(body["expire"], 7200);
    assert!(body["app_access_token"].as_str().unwrap().starts_with("a-"));
    assert!(body["tenant_access_token"]
        .as_str()
        .unwrap()
        .starts_with("t-"));
    assert!(body.get("data").is_none());

    let (_, tenant) = post(
        &mock,
        TENANT_TOKEN,
        None,
        json!({ "app_id": demo::FEISHU_APP_ID, "app_secret": demo::FEISHU_APP_SECRET }),
    )
    .await;
    assert_eq!(tenant["tenant_access_token"], body["tenant_access_token"]);
    let expire = tenant["expire"].as_u64().unwrap();
    assert!(
        (7199..=7200).contains(&expire),
        "the same token's remaining validity, got {expire}"
    );
}

#[tokio::test]
async fn the_same_token_is_returned_until_less_than_30_minutes_are_left() {
    let mock = start().await;
    let first = app_token(&mock).await;
    mock.advance_clock(Duration::from_secs(1000));
    let (_, body) = app_token_body(&mock, demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET).await;
    assert_eq!(body["app_access_token"], first.as_str());
    let expire = body["expire"].as_u64().unwrap();
    assert!(
        // Real time passes too: a busy machine may take a few seconds between the two calls.
        (6190..=6200).contains(&expire),
        "remaining validity, got {expire}"
    );

    mock.advance_clock(Duration::from_secs(4500)); // 1700 s left
    let (_, body) = app_token_body(&mock, demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET).await;
    let second = body["app_access_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first, "a new token under 30 minutes");
    assert_eq!(body["expire"], 7200);

    // The old token stays valid until its own expiry …
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    assert_eq!(exchange(&mock, &first, &code).await.1["code"], 0);
    // … and no longer.
    mock.advance_clock(Duration::from_secs(1701));
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    assert_eq!(exchange(&mock, &first, &code).await.1["code"], 99_991_664);
    assert_eq!(
        exchange(&mock, &second, &code).await.1["code"],
        0,
        "99991664 did not consume the code"
    );
}

#[tokio::test]
async fn wrong_secret_is_10015_and_unknown_app_10012() {
    let mock = start().await;
    let (status, body) = app_token_body(&mock, demo::FEISHU_APP_ID, "nope").await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(10015)));
    assert!(body["error"]["log_id"].is_string());
    let (status, body) = app_token_body(&mock, "cli_unknown", "x").await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(10012)));
    let (_, body) = post(
        &mock,
        TENANT_TOKEN,
        None,
        json!({ "app_id": demo::FEISHU_APP_ID, "app_secret": "nope" }),
    )
    .await;
    assert_eq!(body["code"], 10015);
}

#[tokio::test]
async fn more_token_calls_per_second_than_the_limit_are_99991400() {
    let mock = MockPlatform::builder()
        .demo()
        .token_rate_limit(2)
        .start()
        .await
        .unwrap();
    app_token(&mock).await;
    app_token(&mock).await;
    let (status, body) = app_token_body(&mock, demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET).await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(99_991_400)));
}

#[tokio::test]
async fn oidc_exchange_returns_user_tokens_and_user_info_the_profile() {
    let mock = start().await;
    let token = app_token(&mock).await;
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    let (status, body) = exchange(&mock, &token, &code).await;
    assert_eq!(status, 200);
    assert_eq!(body["code"], 0);
    assert_eq!(body["msg"], "success");
    let data = &body["data"];
    let user_token = data["access_token"].as_str().unwrap();
    assert!(user_token.starts_with("u-"));
    assert!(data["refresh_token"].as_str().unwrap().starts_with("ur-"));
    assert_eq!(data["token_type"], "Bearer");
    assert_eq!(data["expires_in"], 6900);
    assert_eq!(data["refresh_expires_in"], 2_592_000);
    assert!(data["scope"].is_string());
    assert!(data.get("open_id").is_none(), "oidc carries no profile");

    let response = reqwest::Client::new()
        .get(format!("{}{USER_INFO}", mock.base_url()))
        .bearer_auth(user_token)
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("x-tt-logid"));
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["code"], 0);
    let user = &info["data"];
    assert_eq!(user["open_id"], "ou_alice");
    assert_eq!(user["union_id"], "on_alice");
    assert_eq!(user["user_id"], "alice");
    assert_eq!(user["tenant_key"], demo::FEISHU_TENANT_KEY);
    assert_eq!(user["name"], "张爱丽 Alice");
    assert_eq!(user["en_name"], "Alice Zhang");
    for key in ["avatar_url", "email", "enterprise_email", "employee_no"] {
        assert!(user[key].is_string(), "{key}");
    }
}

#[tokio::test]
async fn the_historic_v1_exchange_includes_the_profile() {
    let mock = start().await;
    let token = app_token(&mock).await;
    let code = mock.mint_code(MintCode::feishu(demo::BOB)).unwrap();
    let (_, body) = post(
        &mock,
        V1,
        Some(&token),
        json!({ "grant_type": "authorization_code", "code": code }),
    )
    .await;
    assert_eq!(body["code"], 0);
    assert_eq!(body["data"]["open_id"], "ou_bob");
    assert!(body["data"]["access_token"]
        .as_str()
        .unwrap()
        .starts_with("u-"));
}

#[tokio::test]
async fn a_code_works_once_then_is_20007() {
    let mock = start().await;
    let token = app_token(&mock).await;
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    assert_eq!(exchange(&mock, &token, &code).await.1["code"], 0);
    assert_eq!(code_error(&mock, &code).await, 20007);
}

#[tokio::test]
async fn a_code_older_than_five_minutes_is_20007() {
    let mock = start().await;
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    mock.advance_clock(Duration::from_secs(301));
    assert_eq!(code_error(&mock, &code).await, 20007);
}

#[tokio::test]
async fn a_gadget_code_is_20007() {
    let mock = start().await;
    let code = mock
        .mint_code(MintCode::feishu(demo::ALICE).with_kind(CodeKind::FeishuGadget))
        .unwrap();
    assert_eq!(code_error(&mock, &code).await, 20007);
}

#[tokio::test]
async fn a_code_of_another_app_is_20024() {
    let mock = MockPlatform::builder()
        .demo()
        .feishu_app(FeishuApp::new(
            "cli_other",
            "other-secret",
            demo::FEISHU_TENANT_KEY,
        ))
        .start()
        .await
        .unwrap();
    let code = mock
        .mint_code(MintCode::feishu(demo::ALICE).with_app("cli_other"))
        .unwrap();
    assert_eq!(code_error(&mock, &code).await, 20024);
}

#[tokio::test]
async fn resigned_is_20021_and_frozen_20022() {
    let mock = start().await;
    let dave = mock.mint_code(MintCode::feishu(demo::DAVE)).unwrap();
    assert_eq!(code_error(&mock, &dave).await, 20021);
    let erin = mock.mint_code(MintCode::feishu(demo::ERIN)).unwrap();
    assert_eq!(code_error(&mock, &erin).await, 20022);
}

#[tokio::test]
async fn the_client_refuses_an_invisible_user_with_10228() {
    let mock = start().await;
    let err = mock.mint_code(MintCode::feishu(demo::CAROL)).unwrap_err();
    assert_eq!((err.provider, err.code), (ProviderKind::Feishu, 10228));
    assert_eq!(serde_json::to_value(&err).unwrap()["errCode"], 10228);
    let err = mock
        .mint_code(MintCode::feishu(demo::ALICE).with_app("cli_nope"))
        .unwrap_err();
    assert_eq!(err.code, 10200);
    // Someone the emulator does not know is not a member of the app's tenant.
    let err = mock.mint_code(MintCode::feishu("nobody")).unwrap_err();
    assert_eq!(err.code, 10228);
    assert_eq!(
        err.message,
        "应用对该用户不可见。 (silent-login-mock: unknown user `nobody`)"
    );
}

#[tokio::test]
async fn visibility_revoked_after_minting_is_20010() {
    let mock = start().await;
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    mock.set_visible(ProviderKind::Feishu, demo::ALICE, false);
    assert_eq!(code_error(&mock, &code).await, 20010);
}

#[tokio::test]
async fn bearer_problems_are_99991661_99991671_99991664() {
    let mock = start().await;
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    let body = json!({ "grant_type": "authorization_code", "code": code });
    let (status, missing) = post(&mock, OIDC, None, body.clone()).await;
    assert_eq!((status, missing["code"].as_i64()), (400, Some(99_991_661)));
    assert_eq!(
        post(&mock, OIDC, Some("garbage"), body.clone()).await.1["code"],
        99_991_671
    );
    assert_eq!(
        post(&mock, OIDC, Some("a-unknown"), body.clone()).await.1["code"],
        99_991_664
    );
    let (_, tokens) = app_token_body(&mock, demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET).await;
    let tenant = tokens["tenant_access_token"].as_str().unwrap();
    assert_eq!(
        post(&mock, OIDC, Some(tenant), body.clone()).await.1["code"],
        99_991_664
    );
    mock.revoke_tokens();
    let revoked = tokens["app_access_token"].as_str().unwrap();
    assert_eq!(
        post(&mock, OIDC, Some(revoked), body.clone()).await.1["code"],
        99_991_664
    );
    // None of these consumed the code.
    assert_eq!(
        exchange(&mock, &app_token(&mock).await, &code).await.1["code"],
        0
    );
}

#[tokio::test]
async fn a_wrong_grant_type_is_20001() {
    let mock = start().await;
    let token = app_token(&mock).await;
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    let (status, body) = post(
        &mock,
        OIDC,
        Some(&token),
        json!({ "grant_type": "refresh_token", "code": code }),
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(20001)));
}

#[tokio::test]
async fn user_info_with_an_unknown_token_is_99991668_and_an_expired_one_99991677() {
    let mock = start().await;
    let get = |token: String| {
        let url = format!("{}{USER_INFO}", mock.base_url());
        async move {
            let response = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap()["code"]
                    .as_i64()
                    .unwrap(),
            )
        }
    };
    assert_eq!(get("u-unknown".into()).await, (400, 99_991_668));
    let token = app_token(&mock).await;
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    let user_token = exchange(&mock, &token, &code).await.1["data"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    mock.advance_clock(Duration::from_secs(6800));
    assert_eq!(get(user_token.clone()).await.1, 0);
    mock.advance_clock(Duration::from_secs(101));
    assert_eq!(get(user_token).await, (400, 99_991_677));
}

#[tokio::test]
async fn a_lark_code_is_exchanged_at_the_feishu_endpoints() {
    let mock = start().await;
    let lark = MintCode {
        provider: ProviderKind::Lark,
        ..MintCode::feishu(demo::ALICE)
    };
    let code = mock.mint_code(lark).unwrap();
    let token = app_token(&mock).await;
    let (status, body) = exchange(&mock, &token, &code).await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(0)), "{body}");
}

#[tokio::test]
async fn hiding_a_user_from_lark_hides_them_from_feishu() {
    let mock = start().await;
    mock.set_visible(ProviderKind::Lark, demo::ALICE, false);
    let err = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap_err();
    assert_eq!(err.code, 10228);
}
