//! `POST /api/login` under axum, against the emulator of both platforms: a code is accepted under
//! every name and in every place, each login opens its own session, a used code is explained,
//! and the platform's refusals, its outages and the tenant guard (Feishu/Lark, on the tenant the
//! platform reports; refused as a misconfiguration for DingTalk) are answered with their catalog
//! codes (docs/CONTRACTS.md, section 1).
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use serde_json::Value;
use silent_login::catalog::{Lang, SilentLoginCode};
use silent_login::{Feishu, SilentLoginLayer};
use silent_login_mock::{demo, Endpoint, Fault, FeishuApp, MintCode, MockPlatform, MockUser};
use support::{
    assert_login_body, catalog_text, client, error_body, get_me, login, login_user, send_code,
    serve_layer, session_cookie, start_mock, token, whoami_of, Auth, Place, ProviderKind,
    TestPlatform, BOTH,
};

#[tokio::test]
async fn a_code_is_accepted_under_every_name_as_json_form_or_query() {
    let mock = start_mock().await;
    let client = client();
    for platform in BOTH {
        let base = serve_layer(platform.layer(&mock)).await;
        for name in ["tmp_auth_code", "code", "authCode", "auth_code"] {
            for place in Place::ALL {
                let code = platform.mint(&mock, demo::ALICE);
                let response = send_code(&client, &base, name, &code, place).await;
                assert_eq!(
                    response.status(),
                    200,
                    "{platform:?} `{name}` as {place:?}: {}",
                    response.text().await.unwrap()
                );
                assert!(session_cookie(&response).is_some());
                let body: Value = response.json().await.unwrap();
                assert_login_body(&body, platform, demo::ALICE);
            }
        }
    }
}

#[tokio::test]
async fn every_login_opens_a_new_session() {
    let mock = start_mock().await;
    let client = client();
    for platform in BOTH {
        let base = serve_layer(platform.layer(&mock)).await;
        let (first, first_cookie) = login_user(&client, &base, &mock, platform, demo::ALICE).await;
        let (second, second_cookie) =
            login_user(&client, &base, &mock, platform, demo::ALICE).await;
        assert_ne!(token(&first), token(&second));
        assert_ne!(first_cookie, second_cookie);
        for body in [&first, &second] {
            let response = get_me(&client, &base, Auth::Bearer(&token(body))).await;
            assert_eq!(response.status(), 200);
        }
    }
}

#[tokio::test]
async fn login_with_a_used_code_explains_it_was_used() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let code = ProviderKind::DingTalk.mint(&mock, demo::ALICE);
    let first = login(&client, &base, &code).await;
    assert_eq!(first.status(), 200);
    let calls = mock.stats().calls(Endpoint::DingTalkGetUserInfoV2);

    let again = client
        .post(format!("{base}/api/login"))
        .header("accept-language", "zh-CN")
        .json(&serde_json::json!({ "tmp_auth_code": code }))
        .send()
        .await
        .unwrap();

    assert!(session_cookie(&again).is_none());
    let body = error_body(again, 401, 40078).await;
    assert_eq!(body["provider"], "dingtalk");
    assert_eq!(body["cause_id"], "code_used", "{body:#}");
    let (message, _) = catalog_text("dingtalk", 40078, Lang::Zh);
    assert_eq!(body["errmsg"], message, "in the caller's language");
    assert_eq!(
        mock.stats().calls(Endpoint::DingTalkGetUserInfoV2),
        calls,
        "a replay is answered without asking the platform"
    );
}

#[tokio::test]
async fn a_user_outside_the_visible_scope_is_refused_with_40079() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let carol = ProviderKind::DingTalk.mint(&mock, demo::CAROL);
    let body = error_body(login(&client, &base, &carol).await, 403, 40079).await;
    assert_eq!(body["provider"], "dingtalk");

    let code = ProviderKind::DingTalk.mint(&mock, demo::ALICE);
    mock.set_visible(ProviderKind::DingTalk, demo::ALICE, false);
    let response = login(&client, &base, &code).await;
    assert!(session_cookie(&response).is_none());
    error_body(response, 403, 40079).await;
    mock.set_visible(ProviderKind::DingTalk, demo::ALICE, true);
    login_user(&client, &base, &mock, ProviderKind::DingTalk, demo::ALICE).await;
}

#[tokio::test]
async fn an_unreachable_platform_answers_503_and_the_same_code_works_once_it_is_back() {
    let mock = start_mock().await;
    let client = client();
    for (platform, endpoint) in [
        (ProviderKind::DingTalk, Endpoint::DingTalkGetToken),
        (ProviderKind::Feishu, Endpoint::FeishuAppAccessToken),
    ] {
        let base = serve_layer(platform.layer(&mock)).await;
        let code = platform.mint(&mock, demo::ALICE);
        mock.inject_fault(endpoint, Fault::ConnectionReset, 10);
        let response = login(&client, &base, &code).await;
        let body = error_body(response, 503, 700401).await;
        assert_eq!(body["retryable"], true, "{body:#}");
        assert_eq!(
            mock.stats().calls(endpoint),
            1,
            "one token request per failure"
        );
        mock.reset();
        // The failure is remembered for its backoff, then the platform is asked again.
        tokio::time::sleep(silent_login::FETCH_FAILURE_BACKOFF + Duration::from_millis(100)).await;
        let response = login(&client, &base, &code).await;
        assert_eq!(
            response.status(),
            200,
            "{platform:?}: {}",
            response.text().await.unwrap()
        );
    }
}

/// The demo organization plus a second Feishu app in tenant `other_tenant`, with its user zoe.
async fn two_feishu_tenants() -> MockPlatform {
    MockPlatform::builder()
        .demo()
        .feishu_app(FeishuApp::new(OTHER_APP, OTHER_SECRET, OTHER_TENANT))
        .user(MockUser::new(ZOE, "Zoe").tenant(OTHER_TENANT))
        .start()
        .await
        .unwrap()
}

const OTHER_APP: &str = "cli_other0123456789";
const OTHER_SECRET: &str = "other-secret-0123456789";
const OTHER_TENANT: &str = "other_tenant";
const ZOE: &str = "zoe";

/// The layer of the second Feishu app: nothing in it names a tenant.
fn other_app(mock: &MockPlatform) -> SilentLoginLayer {
    SilentLoginLayer::new(Feishu::new(OTHER_APP, OTHER_SECRET).api_base(mock.base_url()))
        .secure_cookie(false)
}

fn zoe_code(mock: &MockPlatform) -> String {
    mock.mint_code(MintCode::feishu(ZOE).with_app(OTHER_APP))
        .unwrap()
}

#[tokio::test]
async fn a_feishu_identity_s_tenant_is_the_one_the_platform_reports() {
    let mock = two_feishu_tenants().await;
    let client = client();
    // Two layers configured alike (neither names a tenant): each user's tenant is the
    // `tenant_key` Feishu answered for that user.
    for (layer, code, user, tenant) in [
        (other_app(&mock), zoe_code(&mock), ZOE, OTHER_TENANT),
        (
            ProviderKind::Feishu.layer(&mock),
            ProviderKind::Feishu.mint(&mock, demo::ALICE),
            demo::ALICE,
            demo::FEISHU_TENANT_KEY,
        ),
    ] {
        let base = serve_layer(layer).await;
        let response = login(&client, &base, &code).await;
        assert_eq!(response.status(), 200, "{user}");
        let body: Value = response.json().await.unwrap();
        assert_login_body(&body, ProviderKind::Feishu, user);
        assert_eq!(body["tenant"], tenant, "{body:#}");
        let identity = whoami_of(&client, &base, &token(&body)).await;
        assert_eq!(identity.tenant.as_deref(), Some(tenant), "{identity:?}");
    }
}

#[tokio::test]
async fn a_feishu_login_from_a_tenant_not_allowed_is_refused_with_403() {
    let mock = two_feishu_tenants().await;
    let client = client();
    // zoe's tenant, as Feishu reports it, is not on the list.
    let refusing = serve_layer(other_app(&mock).allowed_tenants([demo::FEISHU_TENANT_KEY])).await;
    let response = login(&client, &refusing, &zoe_code(&mock)).await;
    assert!(session_cookie(&response).is_none());
    let body = error_body(response, 403, 700301).await;
    assert_eq!(body["provider"], "silent-login", "{body:#}");
    assert_eq!(body["name"], "TenantNotAllowed", "{body:#}");
    // The same for the demo app's alice, of the demo tenant.
    let refusing = serve_layer(
        ProviderKind::Feishu
            .layer(&mock)
            .allowed_tenants([OTHER_TENANT]),
    )
    .await;
    let alice = ProviderKind::Feishu.mint(&mock, demo::ALICE);
    error_body(login(&client, &refusing, &alice).await, 403, 700301).await;

    // Listed, zoe logs in, and her session carries the tenant the platform reported.
    let accepting =
        serve_layer(other_app(&mock).allowed_tenants(["unrelated", OTHER_TENANT])).await;
    let response = login(&client, &accepting, &zoe_code(&mock)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["tenant"], OTHER_TENANT, "{body:#}");
    let identity = whoami_of(&client, &accepting, &token(&body)).await;
    assert_eq!(identity.tenant.as_deref(), Some(OTHER_TENANT));
}

#[tokio::test]
async fn a_dingtalk_layer_with_allowed_tenants_is_misconfigured() {
    // A DingTalk internal app belongs to one organization, and the identity's tenant is the
    // configured corp id: an allow-list could only compare configuration with configuration.
    let mock = start_mock().await;
    let error = ProviderKind::DingTalk
        .layer(&mock)
        .allowed_tenants([demo::DINGTALK_CORP_ID])
        .validate()
        .expect_err("DingTalk with allowed_tenants must not validate");
    assert_eq!(error.code(), SilentLoginCode::Misconfigured, "{error}");
    assert_eq!(error.status(), 500, "{error}");
    // The guard stays available where the platform reports the tenant.
    ProviderKind::Feishu
        .layer(&mock)
        .allowed_tenants([demo::FEISHU_TENANT_KEY])
        .validate()
        .unwrap();
}

#[tokio::test]
async fn a_login_past_its_deadline_is_504_login_deadline_and_the_code_s_fate_is_still_recorded() {
    let mock = start_mock().await;
    let client = client();
    for (platform, exchange) in [
        (ProviderKind::DingTalk, Endpoint::DingTalkGetUserInfoV2),
        (ProviderKind::Feishu, Endpoint::FeishuOidcAccessToken),
    ] {
        let layer = platform
            .layer(&mock)
            .login_timeout(Duration::from_millis(300));
        let authenticator = std::sync::Arc::clone(layer.authenticator());
        let base = serve_layer(layer).await;
        let code = platform.mint(&mock, demo::ALICE);
        mock.inject_fault(exchange, Fault::Latency(Duration::from_millis(1500)), 1);
        let started = std::time::Instant::now();
        let response = login(&client, &base, &code).await;
        let body = error_body(response, 504, 700402).await;
        assert_eq!(body["cause_id"], "login_deadline", "{platform:?}: {body:#}");
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "answered at the deadline, not when the platform did"
        );
        // The exchange went on in the background: the platform consumed the code, and the
        // ledger knows it once it ends (a retry before that would join the running exchange).
        let waiting = std::time::Instant::now();
        while authenticator.exchanges_in_flight() > 0 {
            assert!(
                waiting.elapsed() < Duration::from_secs(10),
                "the exchange never ended"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let again = login(&client, &base, &code).await;
        let body = again.json::<Value>().await.unwrap();
        assert_eq!(body["cause_id"], "code_used", "{platform:?}: {body:#}");
    }
}

#[tokio::test]
async fn an_over_long_query_string_is_refused_before_it_is_read() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let code = ProviderKind::DingTalk.mint(&mock, demo::ALICE);
    let padding = "x".repeat(2100);
    let response = client
        .post(format!(
            "{base}/api/login?tmp_auth_code={code}&pad={padding}"
        ))
        .send()
        .await
        .unwrap();
    let body = error_body(response, 413, 700106).await;
    assert_eq!(body["cause_id"], "query_over_limit", "{body:#}");
    let response = client
        .post(format!("{base}/api/login?tmp_auth_code={code}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the code was never looked at");
}
