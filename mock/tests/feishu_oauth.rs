//! Feishu's v2 OAuth token endpoint and the user-token refreshes (v2 and historic oidc) behave
//! like `open.feishu.cn`: flat answers, refresh tokens that work once, violations recorded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{json, Value};
use silent_login_mock::{
    demo, token_fingerprint, Endpoint, Fault, FeishuApp, MintCode, MockPlatform, ProviderKind,
    ViolationKind,
};

const V2: &str = "/open-apis/authen/v2/oauth/token";
const APP_TOKEN: &str = "/open-apis/auth/v3/app_access_token/internal";
const OIDC: &str = "/open-apis/authen/v1/oidc/access_token";
const OIDC_REFRESH: &str = "/open-apis/authen/v1/oidc/refresh_access_token";
const USER_INFO: &str = "/open-apis/authen/v1/user_info";

async fn start() -> MockPlatform {
    MockPlatform::builder().demo().start().await.unwrap()
}

/// Reads an answer: the status and the JSON body; every Feishu answer carries `X-Tt-Logid`.
async fn read(response: reqwest::Response) -> (u16, Value) {
    assert!(response.headers().contains_key("x-tt-logid"));
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn post_json(
    mock: &MockPlatform,
    path: &str,
    bearer: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", mock.base_url()))
        .json(&body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    read(request.send().await.unwrap()).await
}

async fn v2(mock: &MockPlatform, body: Value) -> (u16, Value) {
    post_json(mock, V2, None, body).await
}

fn code_grant(code: &str) -> Value {
    json!({
        "grant_type": "authorization_code",
        "client_id": demo::FEISHU_APP_ID,
        "client_secret": demo::FEISHU_APP_SECRET,
        "code": code,
    })
}

fn refresh_grant(refresh_token: &str) -> Value {
    json!({
        "grant_type": "refresh_token",
        "client_id": demo::FEISHU_APP_ID,
        "client_secret": demo::FEISHU_APP_SECRET,
        "refresh_token": refresh_token,
    })
}

/// A v2 login of `user`: the access token and the refresh token.
async fn login(mock: &MockPlatform, user: &str) -> (String, String) {
    let code = mock.mint_code(MintCode::feishu(user)).unwrap();
    let (status, body) = v2(mock, code_grant(&code)).await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(0)), "{body}");
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

/// `user_info` with `token`: the status and `code`.
async fn user_info(mock: &MockPlatform, token: &str) -> (u16, i64) {
    let response = reqwest::Client::new()
        .get(format!("{}{USER_INFO}", mock.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    (status, body["code"].as_i64().unwrap())
}

/// Asserts a v2 error: HTTP status, `code`, RFC 6749 `error`, a description, and nothing else.
#[track_caller]
fn assert_v2_error(answer: &(u16, Value), status: u16, code: i64, error: &str) {
    let (got_status, body) = answer;
    assert_eq!(
        (*got_status, body["code"].as_i64(), body["error"].as_str()),
        (status, Some(code), Some(error)),
        "{body}"
    );
    assert!(body["error_description"].is_string(), "{body}");
    assert!(body.get("access_token").is_none(), "{body}");
    assert!(body.get("msg").is_none(), "{body}");
}

async fn app_token(mock: &MockPlatform) -> String {
    let body = json!({ "app_id": demo::FEISHU_APP_ID, "app_secret": demo::FEISHU_APP_SECRET });
    post_json(mock, APP_TOKEN, None, body).await.1["app_access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An oidc login of `user`: the `data` of the answer.
async fn oidc_login(mock: &MockPlatform, user: &str) -> Value {
    let token = app_token(mock).await;
    let code = mock.mint_code(MintCode::feishu(user)).unwrap();
    let body = json!({ "grant_type": "authorization_code", "code": code });
    let (status, body) = post_json(mock, OIDC, Some(&token), body).await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(0)), "{body}");
    body["data"].clone()
}

async fn oidc_refresh(mock: &MockPlatform, refresh_token: &str) -> (u16, Value) {
    let token = app_token(mock).await;
    let body = json!({ "grant_type": "refresh_token", "refresh_token": refresh_token });
    post_json(mock, OIDC_REFRESH, Some(&token), body).await
}

#[tokio::test]
async fn the_v2_exchange_answers_flat_with_a_refresh_token_for_offline_access() {
    let mock = start().await;
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    let (status, body) = v2(&mock, code_grant(&code)).await;
    assert_eq!(status, 200);
    assert_eq!(body["code"], 0);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 7200);
    assert_eq!(body["refresh_token_expires_in"], 604_800);
    assert_eq!(body["scope"], "auth:user.id:read offline_access");
    assert!(
        body.get("msg").is_none() && body.get("data").is_none(),
        "{body}"
    );
    assert!(body.get("open_id").is_none(), "v2 carries no identity");
    let access_token = body["access_token"].as_str().unwrap();
    assert!(access_token.starts_with("eyJ"), "v2 tokens are JWT-like");
    assert!(body["refresh_token"].as_str().unwrap().starts_with("eyJ"));

    let response = reqwest::Client::new()
        .get(format!("{}{USER_INFO}", mock.base_url()))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    let (_, info) = read(response).await;
    assert_eq!(info["code"], 0);
    assert_eq!(info["data"]["open_id"], "ou_alice");
}

#[tokio::test]
async fn the_v2_exchange_takes_a_form_body_too() {
    let mock = start().await;
    let code = mock.mint_code(MintCode::feishu(demo::BOB)).unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}{V2}", mock.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(code_grant_pairs(&code)).unwrap())
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(0)), "{body}");
    assert!(body["access_token"].is_string());
}

fn code_grant_pairs(code: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "authorization_code".into()),
        ("client_id", demo::FEISHU_APP_ID.into()),
        ("client_secret", demo::FEISHU_APP_SECRET.into()),
        ("code", code.into()),
        // Accepted without a check: JSAPI codes have neither.
        ("redirect_uri", "https://app.example.com/callback".into()),
        ("code_verifier", "a".repeat(43)),
    ]
}

#[tokio::test]
async fn without_offline_access_v2_issues_no_refresh_token() {
    let mock = MockPlatform::builder()
        .demo()
        .feishu_app(
            FeishuApp::new("cli_noffline", "noffline-secret", demo::FEISHU_TENANT_KEY)
                .offline_access(false),
        )
        .start()
        .await
        .unwrap();
    let code = mock
        .mint_code(MintCode::feishu(demo::ALICE).with_app("cli_noffline"))
        .unwrap();
    let mut grant = code_grant(&code);
    grant["client_id"] = "cli_noffline".into();
    grant["client_secret"] = "noffline-secret".into();
    let (status, body) = v2(&mock, grant).await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(0)), "{body}");
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body.get("refresh_token_expires_in").is_none(), "{body}");
    assert_eq!(body["scope"], "auth:user.id:read");

    // The same through the control API, on the demo app.
    let app = json!({
        "provider": "feishu",
        "app_id": demo::FEISHU_APP_ID,
        "app_secret": demo::FEISHU_APP_SECRET,
        "offline_access": false,
    });
    let response = reqwest::Client::new()
        .post(format!("{}/_mock/apps", mock.base_url()))
        .json(&app)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    let (_, body) = v2(&mock, code_grant(&code)).await;
    assert_eq!(body["code"], 0);
    assert!(body.get("refresh_token").is_none(), "{body}");
}

#[tokio::test]
async fn a_refresh_when_the_app_lost_offline_access_is_20074() {
    let mock = start().await;
    let (_, refresh_token) = login(&mock, demo::ALICE).await;
    assert!(mock.set_offline_access(demo::FEISHU_APP_ID, false));
    assert!(!mock.set_offline_access("cli_nope", false));
    assert_v2_error(
        &v2(&mock, refresh_grant(&refresh_token)).await,
        400,
        20074,
        "unauthorized_client",
    );
    // The refusal did not consume the token.
    assert!(mock.set_offline_access(demo::FEISHU_APP_ID, true));
    assert_eq!(v2(&mock, refresh_grant(&refresh_token)).await.1["code"], 0);
}

#[tokio::test]
async fn client_and_request_errors_have_their_codes_and_statuses() {
    let mock = start().await;
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    let base = code_grant(&code);

    let response = reqwest::Client::new()
        .post(format!("{}{V2}", mock.base_url()))
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_v2_error(&read(response).await, 400, 20063, "invalid_request");

    let response = reqwest::Client::new()
        .post(format!("{}{V2}", mock.base_url()))
        .basic_auth(demo::FEISHU_APP_ID, Some(demo::FEISHU_APP_SECRET))
        .json(&base)
        .send()
        .await
        .unwrap();
    assert_v2_error(&read(response).await, 400, 20070, "invalid_request");

    for field in ["grant_type", "client_id", "client_secret"] {
        let mut body = base.clone();
        body.as_object_mut().unwrap().remove(field);
        assert_v2_error(&v2(&mock, body).await, 400, 20001, "invalid_request");
    }
    let mut body = base.clone();
    body["client_id"] = "cli_unknown".into();
    assert_v2_error(&v2(&mock, body).await, 400, 20048, "invalid_client");
    let mut body = base.clone();
    body["client_secret"] = "wrong".into();
    assert_v2_error(&v2(&mock, body).await, 400, 20002, "invalid_client");
    let mut body = base.clone();
    body["grant_type"] = "password".into();
    assert_v2_error(&v2(&mock, body).await, 400, 20036, "unsupported_grant_type");
    let mut body = base.clone();
    body.as_object_mut().unwrap().remove("code");
    assert_v2_error(&v2(&mock, body).await, 400, 20001, "invalid_request");

    // None of these consumed the code.
    assert_eq!(v2(&mock, base).await.1["code"], 0);
}

#[tokio::test]
async fn code_errors_tell_unknown_used_and_expired_apart() {
    let mock = start().await;
    assert_v2_error(
        &v2(&mock, code_grant("nosuchcode")).await,
        400,
        20003,
        "invalid_grant",
    );

    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    assert_eq!(v2(&mock, code_grant(&code)).await.1["code"], 0);
    assert_v2_error(
        &v2(&mock, code_grant(&code)).await,
        400,
        20065,
        "invalid_grant",
    );

    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    mock.advance_clock(Duration::from_secs(301));
    assert_v2_error(
        &v2(&mock, code_grant(&code)).await,
        400,
        20004,
        "invalid_grant",
    );

    // A code consumed by the oidc exchange is used at v2 too.
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    let token = app_token(&mock).await;
    let body = json!({ "grant_type": "authorization_code", "code": code });
    assert_eq!(
        post_json(&mock, OIDC, Some(&token), body).await.1["code"],
        0
    );
    assert_v2_error(
        &v2(&mock, code_grant(&code)).await,
        400,
        20065,
        "invalid_grant",
    );

    // A DingTalk code is not a Feishu code.
    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    assert_v2_error(
        &v2(&mock, code_grant(&code)).await,
        400,
        20003,
        "invalid_grant",
    );
}

#[tokio::test]
async fn user_and_app_errors_use_the_v2_codes() {
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
    let other = mock
        .mint_code(MintCode::feishu(demo::ALICE).with_app("cli_other"))
        .unwrap();
    assert_v2_error(
        &v2(&mock, code_grant(&other)).await,
        400,
        20024,
        "invalid_grant",
    );

    for user in [demo::DAVE, demo::ERIN] {
        let code = mock.mint_code(MintCode::feishu(user)).unwrap();
        assert_v2_error(
            &v2(&mock, code_grant(&code)).await,
            400,
            20066,
            "invalid_grant",
        );
    }

    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    mock.set_visible(ProviderKind::Feishu, demo::ALICE, false);
    assert_v2_error(
        &v2(&mock, code_grant(&code)).await,
        400,
        20010,
        "invalid_grant",
    );
}

#[tokio::test]
async fn a_scope_may_narrow_the_grant_but_not_repeat_or_widen_it() {
    let mock = start().await;
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    let mut body = code_grant(&code);
    body["scope"] = "auth:user.id:read auth:user.id:read".into();
    assert_v2_error(&v2(&mock, body).await, 400, 20067, "invalid_scope");

    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    let mut body = code_grant(&code);
    body["scope"] = "contact:user.email:readonly".into();
    assert_v2_error(&v2(&mock, body).await, 400, 20068, "invalid_scope");

    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    let mut body = code_grant(&code);
    body["scope"] = "auth:user.id:read".into();
    let (_, body) = v2(&mock, body).await;
    assert_eq!(body["scope"], "auth:user.id:read");
    assert!(
        body.get("refresh_token").is_none(),
        "offline_access narrowed away: {body}"
    );
}

#[tokio::test]
async fn server_errors_are_500_and_503() {
    let mock = start().await;
    let fault = |code: i64| Fault::ErrorCode {
        code,
        message: "An unexpected server error occurred. Please retry your request.".into(),
    };
    mock.inject_fault(Endpoint::FeishuOAuthTokenV2, fault(20050), 1);
    mock.inject_fault(Endpoint::FeishuOAuthTokenV2, fault(20072), 1);
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    assert_v2_error(
        &v2(&mock, code_grant(&code)).await,
        500,
        20050,
        "server_error",
    );
    assert_v2_error(
        &v2(&mock, code_grant(&code)).await,
        503,
        20072,
        "temporarily_unavailable",
    );
    // Faults answer before the endpoint runs: the code is still good.
    assert_eq!(v2(&mock, code_grant(&code)).await.1["code"], 0);
}

#[tokio::test]
async fn a_refresh_rotates_the_pair_and_a_reused_refresh_token_is_20064_and_a_violation() {
    let mock = start().await;
    let (access_1, refresh_1) = login(&mock, demo::ALICE).await;

    let (status, body) = v2(&mock, refresh_grant(&refresh_1)).await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(0)), "{body}");
    let access_2 = body["access_token"].as_str().unwrap().to_owned();
    let refresh_2 = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(access_2, access_1);
    assert_ne!(refresh_2, refresh_1);
    assert_eq!(body["expires_in"], 7200);
    assert_eq!(body["refresh_token_expires_in"], 604_800);
    assert_eq!(body["scope"], "auth:user.id:read offline_access");
    assert!(mock.violations().is_empty());

    assert_v2_error(
        &v2(&mock, refresh_grant(&refresh_1)).await,
        400,
        20064,
        "invalid_grant",
    );
    let violations = mock.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    let violation = &violations[0];
    assert_eq!(violation.kind, ViolationKind::RefreshTokenReused);
    assert_eq!(violation.fingerprint, token_fingerprint(&refresh_1));
    assert_eq!(violation.app, demo::FEISHU_APP_ID);
    assert_eq!(violation.endpoint, Endpoint::FeishuOAuthTokenV2);
    assert_eq!(violation.consumed_at_endpoint, Endpoint::FeishuOAuthTokenV2);
    assert!(violation.at_unix_ms >= violation.consumed_at_unix_ms);
    assert!(!format!("{violation:?}").contains(&refresh_1));
    assert!(!violation.to_string().contains(&refresh_1));

    let listed: Value = reqwest::get(format!("{}/_mock/violations", mock.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["violations"].as_array().unwrap().len(), 1);
    assert_eq!(listed["violations"][0]["kind"], "refresh_token_reused");
    assert_eq!(
        listed["violations"][0]["fingerprint"],
        token_fingerprint(&refresh_1).as_str()
    );
    assert_eq!(listed["violations"][0]["endpoint"], V2);
    assert!(!listed.to_string().contains(&refresh_1));

    // The old access token stays valid until its own expiry; the new pair works.
    assert_eq!(user_info(&mock, &access_1).await, (200, 0));
    assert_eq!(user_info(&mock, &access_2).await, (200, 0));
    assert_eq!(v2(&mock, refresh_grant(&refresh_2)).await.1["code"], 0);

    mock.reset();
    assert!(
        mock.violations().is_empty(),
        "a reset clears the violations"
    );
}

#[tokio::test]
async fn access_and_refresh_tokens_expire_by_the_emulator_clock() {
    let mock = start().await;
    let (access, refresh) = login(&mock, demo::ALICE).await;
    // The emulator's clock also runs in real time: margins of 10 s for a busy machine.
    mock.advance_clock(Duration::from_secs(7190));
    assert_eq!(user_info(&mock, &access).await, (200, 0));
    mock.advance_clock(Duration::from_secs(11));
    assert_eq!(user_info(&mock, &access).await, (400, 99_991_677));

    // The refresh token outlives the access token, until its 604800 s are up.
    mock.advance_clock(Duration::from_secs(604_800 - 7201 - 10));
    let (_, body) = v2(&mock, refresh_grant(&refresh)).await;
    assert_eq!(body["code"], 0, "{body}");
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    mock.advance_clock(Duration::from_secs(604_801));
    assert_v2_error(
        &v2(&mock, refresh_grant(&refresh)).await,
        400,
        20037,
        "invalid_grant",
    );
    assert!(mock.violations().is_empty(), "an expired token is no reuse");
}

#[tokio::test]
async fn refresh_tokens_do_not_cross_endpoints_or_apps() {
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
    let oidc = oidc_login(&mock, demo::ALICE).await;
    let oidc_refresh_token = oidc["refresh_token"].as_str().unwrap();
    assert_v2_error(
        &v2(&mock, refresh_grant(oidc_refresh_token)).await,
        400,
        20026,
        "invalid_grant",
    );
    assert_v2_error(
        &v2(&mock, refresh_grant("garbled")).await,
        400,
        20026,
        "invalid_grant",
    );

    let (_, v2_refresh_token) = login(&mock, demo::ALICE).await;
    let (status, body) = oidc_refresh(&mock, &v2_refresh_token).await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (400, Some(20026)),
        "{body}"
    );

    let mut other = refresh_grant(&v2_refresh_token);
    other["client_id"] = "cli_other".into();
    other["client_secret"] = "other-secret".into();
    assert_v2_error(&v2(&mock, other).await, 400, 20024, "invalid_grant");

    let mut body = refresh_grant(&v2_refresh_token);
    body.as_object_mut().unwrap().remove("refresh_token");
    assert_v2_error(&v2(&mock, body).await, 400, 20001, "invalid_request");
    // None of the refusals consumed it, and none is a violation.
    assert_eq!(
        v2(&mock, refresh_grant(&v2_refresh_token)).await.1["code"],
        0
    );
    assert!(mock.violations().is_empty());
}

#[tokio::test]
async fn expiring_user_tokens_early_spares_refresh_tokens_and_later_tokens() {
    let mock = start().await;
    let (access_1, refresh_1) = login(&mock, demo::ALICE).await;
    let (access_bob, _) = login(&mock, demo::BOB).await;
    let oidc_access = oidc_login(&mock, demo::ALICE).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = reqwest::Client::new()
        .post(format!(
            "{}/_mock/feishu/expire_user_tokens",
            mock.base_url()
        ))
        .send()
        .await
        .unwrap();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer, json!({ "ok": true, "expired": 3 }));
    for token in [&access_1, &access_bob, &oidc_access] {
        assert_eq!(user_info(&mock, token).await, (400, 99_991_677));
    }

    let (_, body) = v2(&mock, refresh_grant(&refresh_1)).await;
    assert_eq!(body["code"], 0, "{body}");
    let access_2 = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(user_info(&mock, &access_2).await, (200, 0));

    assert_eq!(mock.expire_feishu_user_tokens(), 1);
    assert_eq!(user_info(&mock, &access_2).await, (400, 99_991_677));
    assert_eq!(user_info(&mock, "u-neverissued").await, (400, 99_991_668));
}

#[tokio::test]
async fn every_refresh_request_is_counted_per_app() {
    let mock = start().await;
    let (_, refresh) = login(&mock, demo::ALICE).await;
    assert_eq!(
        mock.refresh_count(demo::FEISHU_APP_ID),
        0,
        "a code exchange is no refresh"
    );

    assert_eq!(v2(&mock, refresh_grant(&refresh)).await.1["code"], 0);
    assert_eq!(mock.refresh_count(demo::FEISHU_APP_ID), 1);
    assert_eq!(v2(&mock, refresh_grant(&refresh)).await.1["code"], 20064);
    mock.inject_fault(Endpoint::FeishuOAuthTokenV2, Fault::HttpStatus(502), 1);
    let (status, _) = {
        let response = reqwest::Client::new()
            .post(format!("{}{V2}", mock.base_url()))
            .json(&refresh_grant(&refresh))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), ())
    };
    assert_eq!(status, 502);
    assert_eq!(
        mock.refresh_count(demo::FEISHU_APP_ID),
        3,
        "refused and faulted ones count"
    );

    let oidc = oidc_login(&mock, demo::ALICE).await;
    assert_eq!(
        oidc_refresh(&mock, oidc["refresh_token"].as_str().unwrap())
            .await
            .1["code"],
        0
    );
    assert_eq!(mock.refresh_count(demo::FEISHU_APP_ID), 4);

    let stats: Value = reqwest::get(format!("{}/_mock/stats", mock.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["refreshes"], json!({ demo::FEISHU_APP_ID: 4 }));
    assert_eq!(stats["calls"][V2], 4);
    mock.reset();
    assert_eq!(mock.refresh_count(demo::FEISHU_APP_ID), 0);
}

#[tokio::test]
async fn the_historic_oidc_refresh_rotates_too_whatever_offline_access() {
    let mock = start().await;
    mock.set_offline_access(demo::FEISHU_APP_ID, false);
    let data = oidc_login(&mock, demo::ALICE).await;
    let refresh_1 = data["refresh_token"].as_str().unwrap().to_owned();
    assert!(refresh_1.starts_with("ur-"));
    assert_eq!(data["refresh_expires_in"], 2_592_000);

    let (status, body) = oidc_refresh(&mock, &refresh_1).await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(0)), "{body}");
    assert_eq!(body["msg"], "success");
    let data = &body["data"];
    let access_2 = data["access_token"].as_str().unwrap();
    assert!(access_2.starts_with("u-"));
    let refresh_2 = data["refresh_token"].as_str().unwrap().to_owned();
    assert!(refresh_2.starts_with("ur-") && refresh_2 != refresh_1);
    assert_eq!(data["token_type"], "Bearer");
    assert_eq!(data["expires_in"], 6900);
    assert_eq!(data["refresh_expires_in"], 2_592_000);
    assert!(data["scope"].is_string());
    assert_eq!(user_info(&mock, access_2).await, (200, 0));

    let (status, body) = oidc_refresh(&mock, &refresh_1).await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (400, Some(20064)),
        "{body}"
    );
    assert!(body["error"]["log_id"].is_string());
    let violations = mock.violations();
    assert_eq!(violations.len(), 1);
    assert_eq!(
        violations[0].endpoint,
        Endpoint::FeishuOidcRefreshAccessToken
    );
    assert_eq!(violations[0].fingerprint, token_fingerprint(&refresh_1));

    mock.advance_clock(Duration::from_secs(2_592_001));
    assert_eq!(oidc_refresh(&mock, &refresh_2).await.1["code"], 20037);
}

#[tokio::test]
async fn the_oidc_refresh_checks_its_app_token_and_grant_type() {
    let mock = start().await;
    let data = oidc_login(&mock, demo::ALICE).await;
    let refresh = data["refresh_token"].as_str().unwrap();
    let body = json!({ "grant_type": "refresh_token", "refresh_token": refresh });
    assert_eq!(
        post_json(&mock, OIDC_REFRESH, None, body.clone()).await.1["code"],
        99_991_661
    );
    assert_eq!(
        post_json(&mock, OIDC_REFRESH, Some("a-unknown"), body)
            .await
            .1["code"],
        99_991_664
    );
    let token = app_token(&mock).await;
    let wrong = json!({ "grant_type": "authorization_code", "refresh_token": refresh });
    assert_eq!(
        post_json(&mock, OIDC_REFRESH, Some(&token), wrong).await.1["code"],
        20001
    );
    // None of these consumed the refresh token.
    assert_eq!(oidc_refresh(&mock, refresh).await.1["code"], 0);
}

#[tokio::test]
async fn refreshing_ends_365_days_after_the_login() {
    let mock = start().await;
    let (_, mut refresh) = login(&mock, demo::ALICE).await;
    let six_days = 6 * 24 * 3600;
    // Day 360: the sixtieth refresh still works, but its token ends on day 365, not day 367.
    for day in (6..=360).step_by(6) {
        mock.advance_clock(Duration::from_secs(six_days));
        let (_, body) = v2(&mock, refresh_grant(&refresh)).await;
        assert_eq!(body["code"], 0, "day {day}: {body}");
        refresh = body["refresh_token"].as_str().unwrap().to_owned();
        let left = body["refresh_token_expires_in"].as_u64().unwrap();
        if day < 360 {
            assert_eq!(left, 604_800, "day {day}");
        } else {
            // Five days, less the real time the test has taken since the login.
            assert!(
                (5 * 24 * 3600 - 60..=5 * 24 * 3600).contains(&left),
                "{left}"
            );
        }
    }
    mock.advance_clock(Duration::from_secs(six_days));
    assert_v2_error(
        &v2(&mock, refresh_grant(&refresh)).await,
        400,
        20037,
        "invalid_grant",
    );
}
