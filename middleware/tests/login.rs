//! `POST /api/login` under axum, against the emulator of both platforms: a code is accepted under
//! every name and in every place, each login opens its own session, a used code is explained,
//! and the platform's refusals, its outages and the tenant guard are answered with their catalog
//! codes (docs/CONTRACTS.md, section 1).
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::Value;
use silent_login::catalog::Lang;
use silent_login::SilentLoginLayer;
use silent_login_mock::{demo, DingTalkApp, Endpoint, Fault, MintCode, MockUser};
use support::{
    assert_login_body, catalog_text, client, error_body, get_me, login, login_user, send_code,
    serve_layer, session_cookie, start_mock, token, Auth, Place, ProviderKind, TestPlatform, BOTH,
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
        assert!(mock.stats().calls(endpoint) >= 1);
        mock.reset();
        let response = login(&client, &base, &code).await;
        assert_eq!(
            response.status(),
            200,
            "{platform:?}: {}",
            response.text().await.unwrap()
        );
    }
}

#[tokio::test]
async fn a_login_from_an_organization_not_allowed_is_refused_with_403() {
    let mock = start_mock().await;
    let client = client();
    for platform in BOTH {
        let base = serve_layer(platform.layer(&mock).allowed_tenants(["other"])).await;
        let response = login(&client, &base, &platform.mint(&mock, demo::ALICE)).await;
        assert!(session_cookie(&response).is_none());
        let body = error_body(response, 403, 700301).await;
        assert!(
            body["detail"].as_str().unwrap().contains("allowed"),
            "{body:#}"
        );
        let home = platform.home_tenant();
        let base = serve_layer(platform.layer(&mock).allowed_tenants(["other", home])).await;
        login_user(&client, &base, &mock, platform, demo::ALICE).await;
    }
}

#[tokio::test]
async fn another_organization_s_users_are_told_apart_by_the_tenant_guard() {
    let mock = silent_login_mock::MockPlatform::builder()
        .demo()
        .dingtalk_app(DingTalkApp::new(
            "otherkey",
            "other-secret-0123456789",
            "othercorp",
        ))
        .user(MockUser::new("zoe", "Zoe").corp("othercorp"))
        .start()
        .await
        .unwrap();
    let client = client();
    let other_app = || {
        SilentLoginLayer::new(
            silent_login::DingTalk::new("otherkey", "other-secret-0123456789")
                .corp_id("othercorp")
                .api_base(mock.base_url()),
        )
        .secure_cookie(false)
    };
    let zoe = || {
        mock.mint_code(MintCode::dingtalk("zoe").with_app("otherkey"))
            .unwrap()
    };
    let accepting = serve_layer(other_app().allowed_tenants(["othercorp"])).await;
    let response = login(&client, &accepting, &zoe()).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user_id"], "zoe");
    assert_eq!(body["tenant"], "othercorp");
    let refusing = serve_layer(other_app().allowed_tenants([demo::DINGTALK_CORP_ID])).await;
    error_body(login(&client, &refusing, &zoe()).await, 403, 700301).await;
}
