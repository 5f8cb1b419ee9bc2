//! DingTalk endpoints behave like `oapi.dingtalk.com`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{json, Value};
use silent_login_mock::{
    demo, CodeKind, DingTalkApp, JsapiError, MintCode, MockPlatform, MockUser, ProviderKind,
};

async fn start() -> MockPlatform {
    MockPlatform::builder().demo().start().await.unwrap()
}

async fn get_json(url: String) -> Value {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(
        response.status(),
        200,
        "DingTalk answers 200 even on errors"
    );
    response.json().await.unwrap()
}

async fn token_for(mock: &MockPlatform, key: &str, secret: &str) -> Value {
    get_json(format!(
        "{}/gettoken?appkey={key}&appsecret={secret}",
        mock.base_url()
    ))
    .await
}

async fn token(mock: &MockPlatform) -> String {
    let body = token_for(mock, demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET).await;
    assert_eq!(body["errcode"], 0, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn exchange(mock: &MockPlatform, token: &str, code: &str) -> Value {
    let url = format!(
        "{}/topapi/v2/user/getuserinfo?access_token={token}",
        mock.base_url()
    );
    let response = reqwest::Client::new()
        .post(url)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn gettoken_returns_a_token_valid_for_7200_seconds() {
    let mock = start().await;
    let body = token_for(&mock, demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET).await;
    assert_eq!(body["errcode"], 0);
    assert_eq!(body["errmsg"], "ok");
    assert_eq!(body["expires_in"], 7200);
    assert!(!body["access_token"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn gettoken_within_validity_returns_the_same_token_and_renews_it() {
    let mock = start().await;
    let first = token(&mock).await;
    assert_eq!(token(&mock).await, first);
    mock.advance_clock(Duration::from_secs(7000));
    assert_eq!(token(&mock).await, first, "renewed at 7000 s");
    mock.advance_clock(Duration::from_secs(7000));
    assert_eq!(
        token(&mock).await,
        first,
        "still valid thanks to the renewal"
    );
    mock.advance_clock(Duration::from_secs(7201));
    assert_ne!(token(&mock).await, first, "expired: a new token");
}

#[tokio::test]
async fn an_expired_token_is_reported_as_40014() {
    let mock = start().await;
    let token = token(&mock).await;
    mock.advance_clock(Duration::from_secs(7201));
    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    assert_eq!(exchange(&mock, &token, &code).await["errcode"], 40014);
}

#[tokio::test]
async fn wrong_secret_or_unknown_key_is_40089() {
    let mock = start().await;
    let wrong = token_for(&mock, demo::DINGTALK_APP_KEY, "nope").await;
    assert_eq!(wrong["errcode"], 40089);
    assert_eq!(wrong["errmsg"], "不合法的corpid或corpsecret");
    assert_eq!(token_for(&mock, "unknown", "x").await["errcode"], 40089);
    let missing = get_json(format!("{}/gettoken", mock.base_url())).await;
    assert_eq!(missing["errcode"], 40089);
}

#[tokio::test]
async fn a_code_identifies_the_user_once_then_is_40078() {
    let mock = start().await;
    let token = token(&mock).await;
    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    let body = exchange(&mock, &token, &code).await;
    assert_eq!(body["errcode"], 0, "{body}");
    assert_eq!(body["errmsg"], "ok");
    assert!(body["request_id"].is_string());
    let result = &body["result"];
    assert_eq!(result["userid"], "alice");
    assert_eq!(result["unionid"], "union-alice");
    assert_eq!(result["name"], "张爱丽 Alice");
    assert_eq!(result["sys"], false);
    assert_eq!(result["sys_level"], 0);
    assert!(result["device_id"].is_string());
    assert!(result["associated_unionid"].is_string());

    let again = exchange(&mock, &token, &code).await;
    assert_eq!(again["errcode"], 40078);
    assert_eq!(again["errmsg"], "不存在的临时授权码");
}

#[tokio::test]
async fn an_admin_is_sys_with_level_1() {
    let mock = start().await;
    let token = token(&mock).await;
    let code = mock.mint_code(MintCode::dingtalk(demo::BOB)).unwrap();
    let result = exchange(&mock, &token, &code).await["result"].clone();
    assert_eq!(result["sys"], true);
    assert_eq!(result["sys_level"], 1);
}

#[tokio::test]
async fn a_code_older_than_five_minutes_is_40078() {
    let mock = start().await;
    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    mock.advance_clock(Duration::from_secs(301));
    let token = token(&mock).await;
    assert_eq!(exchange(&mock, &token, &code).await["errcode"], 40078);
}

#[tokio::test]
async fn a_code_just_under_five_minutes_old_still_works() {
    let mock = start().await;
    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    mock.advance_clock(Duration::from_secs(295));
    let token = token(&mock).await;
    assert_eq!(exchange(&mock, &token, &code).await["errcode"], 0);
}

#[tokio::test]
async fn admin_console_and_browser_oauth_codes_are_40078() {
    let mock = start().await;
    let token = token(&mock).await;
    for kind in [CodeKind::AdminConsole, CodeKind::BrowserOAuth] {
        let code = mock
            .mint_code(MintCode::dingtalk(demo::ALICE).with_kind(kind))
            .unwrap();
        assert_eq!(
            exchange(&mock, &token, &code).await["errcode"],
            40078,
            "{kind:?}"
        );
    }
    let mini = mock
        .mint_code(MintCode::dingtalk(demo::ALICE).with_kind(CodeKind::MiniProgram))
        .unwrap();
    assert_eq!(exchange(&mock, &token, &mini).await["errcode"], 0);
}

#[tokio::test]
async fn a_code_minted_for_another_app_is_40078() {
    let mock = MockPlatform::builder()
        .demo()
        .dingtalk_app(DingTalkApp::new(
            "otherkey",
            "other-secret",
            demo::DINGTALK_CORP_ID,
        ))
        .start()
        .await
        .unwrap();
    let token = token(&mock).await;
    let code = mock
        .mint_code(MintCode::dingtalk(demo::ALICE).with_app("otherkey"))
        .unwrap();
    assert_eq!(exchange(&mock, &token, &code).await["errcode"], 40078);
}

#[tokio::test]
async fn a_feishu_code_is_unknown_to_dingtalk() {
    let mock = start().await;
    let token = token(&mock).await;
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    assert_eq!(exchange(&mock, &token, &code).await["errcode"], 40078);
}

#[tokio::test]
async fn a_user_outside_the_visible_scope_is_40079_and_the_code_is_consumed() {
    let mock = start().await;
    let token = token(&mock).await;
    let code = mock.mint_code(MintCode::dingtalk(demo::CAROL)).unwrap();
    assert_eq!(exchange(&mock, &token, &code).await["errcode"], 40079);
    assert_eq!(exchange(&mock, &token, &code).await["errcode"], 40078);
}

#[tokio::test]
async fn set_visible_moves_a_user_in_and_out_of_scope() {
    let mock = start().await;
    let token = token(&mock).await;
    mock.set_visible(ProviderKind::DingTalk, demo::CAROL, true);
    let code = mock.mint_code(MintCode::dingtalk(demo::CAROL)).unwrap();
    assert_eq!(exchange(&mock, &token, &code).await["errcode"], 0);
    mock.set_visible(ProviderKind::DingTalk, demo::ALICE, false);
    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    assert_eq!(exchange(&mock, &token, &code).await["errcode"], 40079);
}

/// No DingTalk source documents a JSAPI refusal for these users: the client mints, and
/// `getuserinfo` answers 40079 ("the user is not within the app's visible scope").
#[tokio::test]
async fn resigned_frozen_and_unknown_users_get_codes_that_getuserinfo_refuses_with_40079() {
    let mock = start().await;
    let token = token(&mock).await;
    for user in [demo::DAVE, demo::ERIN, "nobody"] {
        let code = mock.mint_code(MintCode::dingtalk(user)).unwrap();
        let body = exchange(&mock, &token, &code).await;
        assert_eq!(body["errcode"], 40079, "{user}: {body}");
        assert_eq!(body["errmsg"], "不存在的授权信息", "{user}: {body}");
    }
}

#[tokio::test]
async fn the_client_refuses_a_user_of_another_corp_and_an_unknown_app_with_errorcode_3() {
    let mock = MockPlatform::builder()
        .demo()
        .user(MockUser::new("zoe", "Zoe").corp("othercorp"))
        .start()
        .await
        .unwrap();
    let err: JsapiError = mock.mint_code(MintCode::dingtalk("zoe")).unwrap_err();
    assert_eq!(err.provider, ProviderKind::DingTalk);
    assert_eq!(err.message, "1002,corpId不合法");
    assert_eq!(
        serde_json::to_value(&err).unwrap(),
        json!({ "errorCode": 3, "errorMessage": "1002,corpId不合法" })
    );
    let err = mock
        .mint_code(MintCode::dingtalk(demo::ALICE).with_app("dingnope"))
        .unwrap_err();
    assert_eq!(err.code, 3);
    assert_eq!(
        err.message,
        "对应企业没有xxxx域名微应用 (silent-login-mock: no DingTalk app with app_key `dingnope`)"
    );
}

#[tokio::test]
async fn missing_token_is_41001_unknown_token_40014_missing_code_41026() {
    let mock = start().await;
    let client = reqwest::Client::new();
    let base = mock.base_url();
    let body: Value = client
        .post(format!("{base}/topapi/v2/user/getuserinfo"))
        .json(&json!({ "code": "x" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["errcode"], 41001);
    assert_eq!(exchange(&mock, "bogus", "x").await["errcode"], 40014);
    let token = token(&mock).await;
    let body: Value = client
        .post(format!(
            "{base}/topapi/v2/user/getuserinfo?access_token={token}"
        ))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["errcode"], 41026);
}

#[tokio::test]
async fn the_code_may_be_sent_as_a_form() {
    let mock = start().await;
    let token = token(&mock).await;
    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    let response = reqwest::Client::new()
        .post(format!(
            "{}/topapi/v2/user/getuserinfo?access_token={token}",
            mock.base_url()
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("code={code}"))
        .send()
        .await
        .unwrap();
    let request_id = response.headers()["x-acs-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result"]["userid"], "alice");
    assert_eq!(body["request_id"], request_id.as_str());
}

#[tokio::test]
async fn the_legacy_endpoint_answers_with_flat_keys() {
    let mock = start().await;
    let token = token(&mock).await;
    let code = mock.mint_code(MintCode::dingtalk(demo::BOB)).unwrap();
    let url = format!(
        "{}/user/getuserinfo?access_token={token}&code={code}",
        mock.base_url()
    );
    let response = reqwest::get(&url).await.unwrap();
    assert!(response.headers().contains_key("x-acs-request-id"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errcode"], 0);
    assert_eq!(body["userid"], "bob");
    assert_eq!(body["is_sys"], true);
    assert_eq!(body["sys_level"], 1);
    assert!(body["deviceId"].is_string());
    assert_eq!(get_json(url).await["errcode"], 40078);
}

#[tokio::test]
async fn more_gettoken_calls_per_second_than_the_limit_are_90018() {
    let mock = MockPlatform::builder()
        .demo()
        .token_rate_limit(3)
        .start()
        .await
        .unwrap();
    for _ in 0..3 {
        token(&mock).await;
    }
    let limited = token_for(&mock, demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET).await;
    assert_eq!(limited["errcode"], 90018);
    assert!(limited["errmsg"].as_str().unwrap().contains('3'));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    token(&mock).await;
}

#[tokio::test]
async fn revoked_tokens_are_40014_and_gettoken_issues_a_new_one() {
    let mock = start().await;
    let old = token(&mock).await;
    mock.revoke_tokens();
    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    assert_eq!(exchange(&mock, &old, &code).await["errcode"], 40014);
    let new = token(&mock).await;
    assert_ne!(new, old);
    assert_eq!(
        exchange(&mock, &new, &code).await["errcode"],
        0,
        "a 40014 does not consume the code"
    );
}
