//! The control API, fault injection, stats and the browser shim.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use silent_login_mock::{demo, Endpoint, Fault, MintCode, MockPlatform};

async fn start() -> MockPlatform {
    MockPlatform::builder().demo().start().await.unwrap()
}

fn gettoken_url(mock: &MockPlatform) -> String {
    format!(
        "{}/gettoken?appkey={}&appsecret={}",
        mock.base_url(),
        demo::DINGTALK_APP_KEY,
        demo::DINGTALK_APP_SECRET
    )
}

async fn control(mock: &MockPlatform, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/_mock/{path}", mock.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn latency_delays_then_answers_normally() {
    let mock = start().await;
    mock.inject_fault(
        Endpoint::DingTalkGetToken,
        Fault::Latency(Duration::from_millis(300)),
        1,
    );
    let started = Instant::now();
    let body: Value = reqwest::get(gettoken_url(&mock))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(body["errcode"], 0);
}

#[tokio::test]
async fn http_status_answers_with_a_gateway_page_for_the_given_times() {
    let mock = start().await;
    mock.inject_fault(Endpoint::DingTalkGetToken, Fault::HttpStatus(503), 2);
    for _ in 0..2 {
        let response = reqwest::get(gettoken_url(&mock)).await.unwrap();
        assert_eq!(response.status(), 503);
        assert!(response.text().await.unwrap().contains("503"));
    }
    assert_eq!(
        reqwest::get(gettoken_url(&mock)).await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn garbled_json_does_not_parse() {
    let mock = start().await;
    mock.inject_fault(Endpoint::DingTalkGetToken, Fault::GarbledJson, 1);
    let response = reqwest::get(gettoken_url(&mock)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.json::<Value>().await.is_err());
}

#[tokio::test]
async fn connection_reset_closes_the_connection_without_an_answer() {
    let mock = start().await;
    mock.inject_fault(Endpoint::DingTalkGetToken, Fault::ConnectionReset, 1);
    let client = reqwest::Client::new();
    let err = client.get(gettoken_url(&mock)).send().await.unwrap_err();
    assert!(!err.is_status(), "{err:?}");
    let ok = client.get(gettoken_url(&mock)).send().await.unwrap();
    assert_eq!(ok.status(), 200, "the next call is served again");
}

#[tokio::test]
async fn error_code_answers_in_each_platforms_envelope() {
    let mock = start().await;
    let busy = Fault::ErrorCode {
        code: -1,
        message: "系统繁忙".into(),
    };
    mock.inject_fault(Endpoint::DingTalkGetUserInfoV2, busy, 1);
    let url = format!(
        "{}/topapi/v2/user/getuserinfo?access_token=x",
        mock.base_url()
    );
    let response = reqwest::Client::new()
        .post(url)
        .json(&json!({ "code": "c" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["errcode"].as_i64(), body["errmsg"].as_str()),
        (Some(-1), Some("系统繁忙"))
    );
    assert!(body["request_id"].is_string());

    let fault = Fault::ErrorCode {
        code: 20050,
        message: "server error".into(),
    };
    mock.inject_fault(Endpoint::FeishuOidcAccessToken, fault, 1);
    let url = format!(
        "{}{}",
        mock.base_url(),
        Endpoint::FeishuOidcAccessToken.path()
    );
    let response = reqwest::Client::new()
        .post(url)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], 20050);
    assert!(body["error"]["log_id"].is_string());
}

#[tokio::test]
async fn a_faulted_exchange_does_not_consume_the_code() {
    let mock = start().await;
    let body: Value = reqwest::get(gettoken_url(&mock))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = body["access_token"].as_str().unwrap();
    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    mock.inject_fault(Endpoint::DingTalkGetUserInfoV2, Fault::HttpStatus(502), 1);
    let url = format!(
        "{}/topapi/v2/user/getuserinfo?access_token={token}",
        mock.base_url()
    );
    let client = reqwest::Client::new();
    let first = client
        .post(&url)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 502);
    let second: Value = client
        .post(&url)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(second["errcode"], 0);
}

#[tokio::test]
async fn faults_and_stats_through_the_control_api() {
    let mock = start().await;
    let fault = json!({ "endpoint": "/gettoken", "fault": { "kind": "http_status", "status": 500 }, "times": 1 });
    assert_eq!(control(&mock, "faults", fault).await.0, 200);
    assert_eq!(
        reqwest::get(gettoken_url(&mock)).await.unwrap().status(),
        500
    );
    assert_eq!(
        reqwest::get(gettoken_url(&mock)).await.unwrap().status(),
        200
    );
    let fault = json!({ "endpoint": "/gettoken", "fault": { "kind": "error_code", "code": -1, "message": "系统繁忙" }, "times": 3 });
    control(&mock, "faults", fault).await;

    let stats: Value = reqwest::get(format!("{}/_mock/stats", mock.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        stats,
        json!({ "calls": { "/gettoken": 2 }, "refreshes": {} })
    );
    assert_eq!(mock.stats().calls(Endpoint::DingTalkGetToken), 2);
    assert_eq!(mock.stats().calls(Endpoint::FeishuUserInfo), 0);

    control(&mock, "reset", json!({})).await;
    assert_eq!(mock.stats().calls(Endpoint::DingTalkGetToken), 0);
    let body: Value = reqwest::get(gettoken_url(&mock))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["errcode"], 0, "reset cleared the queued faults");
}

#[tokio::test]
async fn unknown_fault_endpoints_are_rejected() {
    let mock = start().await;
    let fault = json!({ "endpoint": "/nope", "fault": { "kind": "garbled_json" } });
    let (status, body) = control(&mock, "faults", fault).await;
    assert_eq!(status, 422);
    assert!(body["error"].as_str().unwrap().contains("/nope"), "{body}");
}

#[tokio::test]
async fn codes_are_minted_over_http_and_fail_in_the_jsapi_shapes() {
    let mock = start().await;
    let (status, body) = control(
        &mock,
        "codes",
        json!({ "provider": "dingtalk", "user": "alice" }),
    )
    .await;
    assert_eq!(status, 200);
    let code = body["code"].as_str().unwrap();
    assert!(!code.is_empty());

    let (status, body) = control(
        &mock,
        "codes",
        json!({ "provider": "feishu", "user": "carol" }),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errCode"], 10228);
    assert!(body["errMsg"].is_string());

    let wrong_corp = json!({ "provider": "dingtalk", "user": "alice", "corp_id": "dingwrong" });
    let (status, body) = control(&mock, "codes", wrong_corp).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({ "errorCode": 3, "errorMessage": "1002,corpId不合法" })
    );

    let right_corp = json!({ "provider": "dingtalk", "user": "alice", "corpId": demo::DINGTALK_CORP_ID, "kind": "mini_program" });
    assert_eq!(control(&mock, "codes", right_corp).await.0, 200);
    let wrong_app = json!({ "provider": "feishu", "user": "alice", "app": "cli_wrong" });
    assert_eq!(control(&mock, "codes", wrong_app).await.1["errCode"], 10200);
}

#[tokio::test]
async fn apps_users_and_the_clock_can_be_set_over_http() {
    let mock = MockPlatform::builder().start().await.unwrap();
    let app =
        json!({ "provider": "dingtalk", "app_key": "k2", "app_secret": "s2", "corp_id": "corp2" });
    assert_eq!(control(&mock, "apps", app).await.0, 200);
    let app =
        json!({ "provider": "feishu", "app_id": "cli_2", "app_secret": "s2", "tenant_key": "t2" });
    assert_eq!(control(&mock, "apps", app).await.0, 200);
    let user = json!({ "id": "zoe", "name": "Zoe", "corp_id": "corp2", "tenant_key": "t2" });
    assert_eq!(control(&mock, "users", user).await.0, 200);

    let (status, body) = control(
        &mock,
        "codes",
        json!({ "provider": "dingtalk", "user": "zoe", "corp_id": "corp2" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let code = body["code"].as_str().unwrap().to_owned();
    assert_eq!(
        control(
            &mock,
            "codes",
            json!({ "provider": "feishu", "user": "zoe" })
        )
        .await
        .0,
        200
    );

    let users: Value = reqwest::get(format!("{}/_mock/users?provider=dingtalk", mock.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(users[0]["id"], "zoe");
    assert_eq!(users[0]["visible"], true);
    assert_eq!(users[0]["status"], "active");

    control(&mock, "clock", json!({ "advance_secs": 301 })).await;
    let base = mock.base_url();
    let token: Value = reqwest::get(format!("{base}/gettoken?appkey=k2&appsecret=s2"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap();
    let url = format!("{base}/topapi/v2/user/getuserinfo?access_token={token}");
    let body: Value = reqwest::Client::new()
        .post(url)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["errcode"], 40078, "expired by the advanced clock");
}

#[tokio::test]
async fn the_user_list_reflects_per_provider_visibility() {
    let mock = start().await;
    control(
        &mock,
        "visibility",
        json!({ "provider": "feishu", "user": "alice", "visible": false }),
    )
    .await;
    let list = |provider: &'static str| {
        let url = format!("{}/_mock/users?provider={provider}", mock.base_url());
        async move {
            reqwest::get(url)
                .await
                .unwrap()
                .json::<Vec<Value>>()
                .await
                .unwrap()
        }
    };
    let feishu = list("feishu").await;
    let dingtalk = list("dingtalk").await;
    let alice =
        |users: &[Value]| users.iter().find(|u| u["id"] == "alice").unwrap()["visible"].clone();
    assert_eq!(alice(&feishu), false);
    assert_eq!(alice(&dingtalk), true);
    assert_eq!(feishu.len(), 5);
}

#[tokio::test]
async fn lark_is_accepted_wherever_the_control_api_takes_a_provider() {
    let mock = MockPlatform::builder().start().await.unwrap();
    let app =
        json!({ "provider": "lark", "app_id": "cli_l", "app_secret": "s", "tenant_key": "t" });
    assert_eq!(control(&mock, "apps", app).await.0, 200);
    let user = json!({ "id": "zoe", "name": "Zoe", "tenant_key": "t" });
    assert_eq!(control(&mock, "users", user).await.0, 200);
    let hide = json!({ "provider": "lark", "user": "zoe", "visible": false });
    assert_eq!(control(&mock, "visibility", hide).await.0, 200);

    let users: Value = reqwest::get(format!("{}/_mock/users?provider=lark", mock.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(users[0]["visible"], false);
    let (status, body) =
        control(&mock, "codes", json!({ "provider": "lark", "user": "zoe" })).await;
    assert_eq!(
        (status, body["errCode"].as_i64()),
        (400, Some(10228)),
        "{body}"
    );

    let show = json!({ "provider": "feishu", "user": "zoe", "visible": true });
    control(&mock, "visibility", show).await;
    let (status, body) =
        control(&mock, "codes", json!({ "provider": "lark", "user": "zoe" })).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn revoke_tokens_over_http() {
    let mock = start().await;
    let body: Value = reqwest::get(gettoken_url(&mock))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let old = body["access_token"].as_str().unwrap().to_owned();
    control(&mock, "revoke_tokens", json!({})).await;
    let body: Value = reqwest::get(gettoken_url(&mock))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(body["access_token"].as_str().unwrap(), old);
}

#[tokio::test]
async fn the_jsapi_shim_is_javascript_with_the_api_names() {
    let mock = start().await;
    let response = reqwest::get(format!("{}/_mock/jsapi.js", mock.base_url()))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/javascript"),
        "{content_type}"
    );
    let js = response.text().await.unwrap();
    for name in [
        "window.dd",
        "requestAuthCode",
        "requestOperateAuthCode",
        "getAuthCode",
        "window.h5sdk",
        "window.tt",
        "requestAccess",
        "silent-login-mock-user",
        "silent-login-mock-go",
        "mock_user",
        "mock_fail",
        "SILENT_LOGIN_MOCK",
        "document.currentScript",
        "/_mock/codes",
    ] {
        assert!(js.contains(name), "jsapi.js lacks {name}");
    }
}

#[tokio::test]
async fn cors_preflight_on_codes_is_allowed() {
    let mock = start().await;
    let response = reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/_mock/codes", mock.base_url()),
        )
        .header("origin", "http://127.0.0.1:3000")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert!(headers.contains_key("access-control-allow-methods"));
    assert!(headers.contains_key("access-control-allow-headers"));
}

#[tokio::test]
async fn dropping_the_platform_stops_the_server() {
    let mock = start().await;
    let url = gettoken_url(&mock);
    assert!(reqwest::get(&url).await.is_ok());
    mock.shutdown().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    assert!(client.get(&url).send().await.is_err());
}
