//! The Feishu and Lark client on the v2 OAuth endpoint (the default), against the emulator:
//! the identity from `user_info`, no app token, the v2 codes as typed catalog errors, and the
//! refresh of a user token presenting its refresh token once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use silent_login::catalog::FeishuCode;
use silent_login::provider::Provider as _;
use silent_login::{
    Authenticator, Feishu, FeishuOAuth, MemoryStore, ProviderKind, RefreshToken, TokenCache,
};
use silent_login_mock::{demo, Endpoint, MintCode, MockPlatform, MockUser, UserStatus};
use support::{assert_upstream, cause, identity, mint, refused, start_mock};

fn feishu(mock: &MockPlatform) -> Feishu {
    Feishu::new(demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET).api_base(mock.base_url())
}

#[test]
fn v2_is_the_default() {
    assert_eq!(Feishu::new("cli_a", "s").oauth_version(), FeishuOAuth::V2);
    assert_eq!(" V1 ".parse::<FeishuOAuth>(), Ok(FeishuOAuth::V1));
    assert!("v3"
        .parse::<FeishuOAuth>()
        .unwrap_err()
        .contains("v1 or v2"));
}

#[tokio::test]
async fn alice_logs_in_through_the_v2_endpoint_without_an_app_token() {
    let mock = start_mock().await;
    let authenticator = Authenticator::new(feishu(&mock));
    let code = mint(
        &mock,
        MintCode::feishu_access(demo::ALICE, ["offline_access"]),
    );
    let user = identity(&authenticator, code).await;
    assert_eq!(user.provider, ProviderKind::Feishu);
    assert_eq!(user.user_id, "alice");
    assert_eq!(user.open_id.as_deref(), Some("ou_alice"));
    assert_eq!(user.tenant.as_deref(), Some(demo::FEISHU_TENANT_KEY));
    let stats = mock.stats();
    assert_eq!(stats.calls(Endpoint::FeishuOAuthTokenV2), 1);
    assert_eq!(stats.calls(Endpoint::FeishuUserInfo), 1);
    assert_eq!(stats.calls(Endpoint::FeishuAppAccessToken), 0);
    assert_eq!(stats.calls(Endpoint::FeishuOidcAccessToken), 0);
}

#[tokio::test]
async fn a_lark_app_logs_in_through_v2_too() {
    let mock = start_mock().await;
    let lark = Feishu::lark(demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET).api_base(mock.base_url());
    let user = identity(
        &Authenticator::new(lark),
        mint(&mock, MintCode::feishu(demo::BOB)),
    )
    .await;
    assert_eq!(user.provider, ProviderKind::Lark);
    assert_eq!(user.user_id, "bob");
}

#[tokio::test]
async fn a_code_presented_twice_is_20065_without_asking_the_platform_again() {
    let mock = start_mock().await;
    let authenticator = Authenticator::new(feishu(&mock));
    let code = mint(&mock, MintCode::feishu(demo::ALICE));
    identity(&authenticator, code.clone()).await;
    let error = refused(&authenticator, code).await;
    assert!(error.is(FeishuCode::AuthCodeAlreadyUsed), "{error:?}");
    assert_eq!(cause(&error), Some("code_used"));
    assert_eq!(mock.stats().calls(Endpoint::FeishuOAuthTokenV2), 1);
}

#[tokio::test]
async fn the_v2_refusals_are_typed_catalog_errors_with_the_platform_s_answer() {
    let mock = start_mock().await;
    // A code the platform never issued: 20003.
    let authenticator = Authenticator::new(feishu(&mock));
    let error = refused(
        &authenticator,
        silent_login::AuthCode::parse("never-issued-code").unwrap(),
    )
    .await;
    assert!(error.is(FeishuCode::AuthCodeNotFound), "{error:?}");
    assert_upstream(&error, 20003);
    // A wrong App Secret: 20002, in the body's client_secret.
    let wrong = Authenticator::new(
        Feishu::new(demo::FEISHU_APP_ID, "not-the-secret").api_base(mock.base_url()),
    );
    let error = refused(&wrong, mint(&mock, MintCode::feishu(demo::ALICE))).await;
    assert!(error.is(FeishuCode::InvalidClientSecret), "{error:?}");
    assert_upstream(&error, 20002);
    // A resigned user: v2 answers 20066 (it has no 20021).
    mock.add_user(MockUser::new("frank", "Frank").status(UserStatus::Resigned));
    let error = refused(&authenticator, mint(&mock, MintCode::feishu("frank"))).await;
    assert_upstream(&error, 20066);
}

#[tokio::test]
async fn a_refresh_presents_the_refresh_token_once_and_gets_a_new_pair() {
    let mock = start_mock().await;
    let provider = feishu(&mock);
    let code = mint(
        &mock,
        MintCode::feishu_access(demo::ALICE, ["offline_access"]),
    );
    let store = std::sync::Arc::new(MemoryStore::new());
    let tokens = TokenCache::new(store, std::time::Duration::from_secs(180));
    let exchanged = provider.exchange_grant(&code, &tokens).await.unwrap();
    let grant = exchanged.grant.expect("Feishu issues a user token");
    let refresh = grant
        .refresh_token
        .clone()
        .expect("offline_access gives a refresh token");
    assert!(grant.refresh_expires_in.is_some());
    assert!(!format!("{grant:?}").contains(grant.access_token.expose()));
    let next = provider
        .refresh_user_token(&refresh, &tokens)
        .await
        .unwrap();
    assert_ne!(next.access_token, grant.access_token);
    assert_ne!(next.refresh_token.as_ref(), Some(&refresh));
    // The old one is spent: presenting it again is what the emulator records as a violation.
    let error = provider
        .refresh_user_token(&refresh, &tokens)
        .await
        .unwrap_err();
    assert_upstream(&error, 20064);
    assert_eq!(mock.violations().len(), 1);
    let garbage = RefreshToken::new("not-a-refresh-token");
    assert_upstream(
        &provider
            .refresh_user_token(&garbage, &tokens)
            .await
            .unwrap_err(),
        20026,
    );
}

#[tokio::test]
async fn identity_only_asks_get_no_refresh_token() {
    let mock = start_mock().await;
    let provider = feishu(&mock);
    let store = std::sync::Arc::new(MemoryStore::new());
    let tokens = TokenCache::new(store, std::time::Duration::from_secs(180));
    let code = mint(
        &mock,
        MintCode::feishu_access(demo::ALICE, Vec::<String>::new()),
    );
    let grant = provider
        .exchange_grant(&code, &tokens)
        .await
        .unwrap()
        .grant
        .unwrap();
    assert!(grant.refresh_token.is_none());
}
