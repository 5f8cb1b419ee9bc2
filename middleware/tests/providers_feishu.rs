//! The Feishu and Lark client against the emulator on loopback: identities, every refusal as a
//! typed catalog error, the token cache under load and under faults, and the code ledger.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use silent_login::catalog::{FeishuCode, SilentLoginCode};
use silent_login::{
    AuthCode, Authenticator, ErrorCode, Feishu, FeishuOAuth, LoginError, ProviderKind,
};
use silent_login_mock::{
    demo, CodeKind, Endpoint, Fault, FeishuApp, MintCode, MockPlatform, MockUser, UserStatus,
};
use support::{
    assert_upstream, bounded, cause, feishu, identity, mint, refused, shared_stores, short_timeout,
    start_mock,
};

const TOKEN: Endpoint = Endpoint::FeishuAppAccessToken;
const EXCHANGE: Endpoint = Endpoint::FeishuOidcAccessToken;
const USER_INFO: Endpoint = Endpoint::FeishuUserInfo;

/// The configured per-call timeout of the fault tests.
const TIMEOUT: Duration = Duration::from_millis(300);
/// Requests of the token endpoint per failed refresh: one; its failure is then remembered
/// for the backoff ([`silent_login::FETCH_FAILURE_BACKOFF`]).
const TOKEN_ATTEMPTS: u64 = 1;

fn authenticator(mock: &MockPlatform) -> Authenticator {
    Authenticator::new(feishu(mock))
}

fn alice(mock: &MockPlatform) -> AuthCode {
    mint(mock, MintCode::feishu(demo::ALICE))
}

fn calls(mock: &MockPlatform, endpoint: Endpoint) -> u64 {
    mock.stats().calls(endpoint)
}

// ----- identities -----

#[tokio::test]
async fn alice_logs_in_with_her_user_id_open_id_union_id_name_and_tenant_key() {
    let mock = start_mock().await;
    let user = identity(&authenticator(&mock), alice(&mock)).await;
    assert_eq!(user.provider, ProviderKind::Feishu);
    assert_eq!(user.user_id, "alice");
    assert_eq!(user.open_id.as_deref(), Some("ou_alice"));
    assert_eq!(user.union_id.as_deref(), Some("on_alice"));
    assert_eq!(user.name.as_deref(), Some("张爱丽 Alice"));
    assert_eq!(user.tenant.as_deref(), Some(demo::FEISHU_TENANT_KEY));
    assert!(
        !user.is_admin,
        "Feishu's user_info says nothing about admins"
    );
    assert_eq!(user.extra["en_name"], "Alice Zhang");
    assert!(user.extra["avatar_url"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    assert_eq!(user.key(), "feishu:demo_tenant:alice");
}

#[tokio::test]
async fn bob_logs_in_with_his_ids() {
    let mock = start_mock().await;
    let user = identity(
        &authenticator(&mock),
        mint(&mock, MintCode::feishu(demo::BOB)),
    )
    .await;
    assert_eq!(user.user_id, "bob");
    assert_eq!(user.open_id.as_deref(), Some("ou_bob"));
    assert_eq!(user.name.as_deref(), Some("包博 Bob"));
}

#[tokio::test]
async fn a_lark_app_logs_in_as_lark_and_explains_errors_from_the_feishu_catalog() {
    let mock = start_mock().await;
    let auth = Authenticator::new(
        Feishu::lark(demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET)
            .api_base(mock.base_url())
            .oauth(FeishuOAuth::V1),
    );
    let code = alice(&mock);
    let user = identity(&auth, code.clone()).await;
    assert_eq!(user.provider, ProviderKind::Lark);
    assert_eq!(user.user_id, "alice");
    assert_eq!(user.tenant.as_deref(), Some(demo::FEISHU_TENANT_KEY));
    assert_eq!(user.key(), "lark:demo_tenant:alice");

    let error = refused(&auth, code).await;
    assert!(error.is(FeishuCode::AuthCodeInvalid));
    assert_eq!(error.provider(), "feishu");
    assert_eq!(cause(&error), Some("code_used"));
}

// ----- the code ledger -----

#[tokio::test]
async fn a_re_presented_code_is_already_used_without_calling_the_platform() {
    let mock = start_mock().await;
    let auth = authenticator(&mock);
    let code = alice(&mock);
    identity(&auth, code.clone()).await;
    let before = mock.stats();

    let error = refused(&auth, code).await;

    assert_eq!(mock.stats(), before, "the platform was not asked again");
    assert!(error.is(FeishuCode::AuthCodeInvalid));
    assert_eq!(error.errcode(), 20007);
    assert_eq!(error.provider(), "feishu");
    assert_eq!(error.status(), 401);
    assert_eq!(cause(&error), Some("code_used"));
    assert!(error.upstream().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_presentations_of_one_code_share_one_exchange_and_one_result() {
    let mock = start_mock().await;
    let auth = Arc::new(authenticator(&mock));
    identity(&auth, alice(&mock)).await;
    // Long enough that every presentation arrives while the first exchange is at the platform,
    // even on a busy machine.
    mock.inject_fault(EXCHANGE, Fault::Latency(Duration::from_millis(1000)), 1);
    let (exchanges, infos) = (calls(&mock, EXCHANGE), calls(&mock, USER_INFO));
    let code = mint(&mock, MintCode::feishu(demo::BOB));
    let barrier = Arc::new(tokio::sync::Barrier::new(10));

    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (auth, code, barrier) = (auth.clone(), code.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                auth.exchange(code).await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }

    assert_eq!(calls(&mock, EXCHANGE) - exchanges, 1);
    assert_eq!(calls(&mock, USER_INFO) - infos, 1);
    let first = results[0].clone().unwrap();
    assert_eq!(first.user_id, "bob");
    for result in results {
        assert_eq!(result, Ok(first.clone()));
    }
}

// ----- refusals by the platform -----

#[tokio::test]
async fn a_code_used_elsewhere_is_refused_by_the_platform_as_20007() {
    let mock = start_mock().await;
    let code = alice(&mock);
    identity(&authenticator(&mock), code.clone()).await;

    let error = refused(&authenticator(&mock), code).await;

    assert!(error.is(FeishuCode::AuthCodeInvalid));
    assert_eq!(error.status(), 401);
    assert_upstream(&error, 20007);
    assert_eq!(
        cause(&error),
        None,
        "the platform does not say which of 20007's causes applies"
    );
}

#[tokio::test]
async fn a_code_older_than_five_minutes_is_refused_as_20007() {
    let mock = start_mock().await;
    let code = alice(&mock);
    mock.advance_clock(Duration::from_secs(301));

    let error = refused(&authenticator(&mock), code).await;

    assert!(error.is(FeishuCode::AuthCodeInvalid));
    assert_upstream(&error, 20007);
}

#[tokio::test]
async fn a_gadget_login_code_is_refused_as_20007() {
    let mock = start_mock().await;
    let code = mint(
        &mock,
        MintCode::feishu(demo::ALICE).with_kind(CodeKind::FeishuGadget),
    );

    let error = refused(&authenticator(&mock), code).await;

    assert!(error.is(FeishuCode::AuthCodeInvalid));
    assert_upstream(&error, 20007);
}

#[tokio::test]
async fn a_code_minted_for_another_app_is_refused_as_20024() {
    let mock = MockPlatform::builder()
        .demo()
        .feishu_app(FeishuApp::new(
            "cli_other0000000000",
            "other-secret",
            demo::FEISHU_TENANT_KEY,
        ))
        .start()
        .await
        .unwrap();
    let code = mint(
        &mock,
        MintCode::feishu(demo::ALICE).with_app("cli_other0000000000"),
    );

    let error = refused(&authenticator(&mock), code).await;

    assert!(error.is(FeishuCode::AppIdMismatch));
    assert_eq!(error.errcode(), 20024);
    assert_eq!(error.status(), 401);
    assert_upstream(&error, 20024);
}

#[tokio::test]
async fn a_user_taken_out_of_the_visible_scope_after_minting_is_refused_as_20010() {
    let mock = start_mock().await;
    let code = alice(&mock);
    mock.set_visible(ProviderKind::Feishu, demo::ALICE, false);

    let error = refused(&authenticator(&mock), code).await;

    assert!(error.is(FeishuCode::UserNoAppPermission));
    assert_eq!(error.errcode(), 20010);
    assert_eq!(error.status(), 403);
    assert_eq!(cause(&error), Some("user_not_in_availability"));
    assert_upstream(&error, 20010);
}

#[tokio::test]
async fn a_resigned_user_is_refused_as_20021() {
    let mock = start_mock().await;
    let code = mint(&mock, MintCode::feishu(demo::DAVE));

    let error = refused(&authenticator(&mock), code).await;

    assert!(error.is(FeishuCode::UserResigned));
    assert_eq!(error.errcode(), 20021);
    assert_eq!(error.status(), 403);
    assert_eq!(cause(&error), Some("user_resigned"));
    assert_upstream(&error, 20021);
}

#[tokio::test]
async fn a_user_frozen_after_minting_is_refused_as_20022() {
    let mock = start_mock().await;
    for (user, status) in [(demo::ERIN, None), (demo::ALICE, Some(UserStatus::Frozen))] {
        let code = mint(&mock, MintCode::feishu(user));
        if let Some(status) = status {
            mock.add_user(
                MockUser::new(demo::ALICE, "张爱丽 Alice")
                    .en_name("Alice Zhang")
                    .status(status),
            );
        }

        let error = refused(&authenticator(&mock), code).await;

        assert!(error.is(FeishuCode::UserFrozen), "{user}: {error:?}");
        assert_eq!(error.errcode(), 20022);
        assert_eq!(error.status(), 403);
        assert_eq!(cause(&error), Some("user_frozen"));
        assert_upstream(&error, 20022);
    }
}

#[tokio::test]
async fn a_wrong_secret_is_refused_as_10015_and_never_borrows_the_right_secrets_token() {
    let mock = start_mock().await;
    for (store_name, store) in shared_stores() {
        let right = Authenticator::with_store(Arc::new(feishu(&mock)), store.clone());
        identity(&right, alice(&mock)).await;
        let wrong = Authenticator::with_store(
            Arc::new(
                Feishu::new(demo::FEISHU_APP_ID, "not-the-app-secret")
                    .api_base(mock.base_url())
                    .oauth(FeishuOAuth::V1),
            ),
            store.clone(),
        );
        let (tokens, exchanges) = (calls(&mock, TOKEN), calls(&mock, EXCHANGE));
        let code = mint(&mock, MintCode::feishu(demo::BOB));

        let error = refused(&wrong, code.clone()).await;

        assert!(
            error.is(FeishuCode::WrongAppSecret),
            "{store_name}: {error:?}"
        );
        assert_eq!(error.errcode(), 10015);
        assert_eq!(error.status(), 502);
        assert_eq!(cause(&error), Some("app_secret_wrong"));
        assert_upstream(&error, 10015);
        assert_eq!(calls(&mock, TOKEN) - tokens, 1, "{store_name}: asked once");
        assert_eq!(calls(&mock, EXCHANGE), exchanges, "{store_name}");
        assert!(error.is_code_unused());
        assert_eq!(identity(&right, code).await.user_id, "bob", "{store_name}");
    }
}

#[tokio::test]
async fn an_unknown_platform_code_is_kept_with_its_raw_message() {
    let mock = start_mock().await;
    let auth = authenticator(&mock);
    identity(&auth, alice(&mock)).await;
    let message = "mock: an error no catalog knows";
    mock.inject_fault(
        EXCHANGE,
        Fault::ErrorCode {
            code: 123_456,
            message: message.to_owned(),
        },
        1,
    );

    let error = refused(&auth, alice(&mock)).await;

    assert_eq!(
        error.code(),
        ErrorCode::Unknown {
            provider: ProviderKind::Feishu,
            code: 123_456
        }
    );
    assert_eq!(error.errcode(), 123_456);
    assert_eq!(error.provider(), "feishu");
    assert_eq!(error.status(), 502);
    assert_upstream(&error, 123_456);
    assert_eq!(error.upstream().unwrap().errmsg, message);
}

// ----- the token cache -----

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_logins_on_a_cold_cache_fetch_one_token() {
    let mock = start_mock().await;
    let auth = Arc::new(authenticator(&mock).max_concurrent_exchanges(200));
    let tasks: Vec<_> = (0..200_u32)
        .map(|i| {
            let user = if i.is_multiple_of(2) {
                demo::ALICE
            } else {
                demo::BOB
            };
            let (auth, code) = (auth.clone(), mint(&mock, MintCode::feishu(user)));
            tokio::spawn(async move { (user, auth.exchange(code).await) })
        })
        .collect();
    for task in tasks {
        let (user, result) = task.await.unwrap();
        assert_eq!(result.unwrap().user_id, user);
    }

    assert_eq!(calls(&mock, TOKEN), 1);
    assert_eq!(calls(&mock, EXCHANGE), 200);
    assert_eq!(calls(&mock, USER_INFO), 200);
}

#[tokio::test]
async fn a_token_revoked_mid_run_is_refreshed_once_and_the_login_retried() {
    let mock = start_mock().await;
    let auth = authenticator(&mock);
    identity(&auth, alice(&mock)).await;
    assert_eq!(calls(&mock, TOKEN), 1);

    mock.revoke_tokens();
    let user = identity(&auth, mint(&mock, MintCode::feishu(demo::BOB))).await;

    assert_eq!(user.user_id, "bob");
    assert_eq!(calls(&mock, TOKEN), 2, "one refresh");
    assert_eq!(calls(&mock, EXCHANGE), 3, "refused once, retried once");
    identity(&auth, alice(&mock)).await;
    assert_eq!(calls(&mock, TOKEN), 2, "the new token is cached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_revoked_under_load_is_refreshed_exactly_once() {
    let mock = start_mock().await;
    let auth = Arc::new(authenticator(&mock));
    identity(&auth, alice(&mock)).await;
    mock.revoke_tokens();

    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (auth, code) = (auth.clone(), alice(&mock));
            tokio::spawn(async move { auth.exchange(code).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().user_id, "alice");
    }

    assert_eq!(calls(&mock, TOKEN), 2);
}

#[tokio::test]
async fn a_rate_limited_token_endpoint_is_left_alone_instead_of_hammered() {
    let mock = MockPlatform::builder()
        .demo()
        .token_rate_limit(1)
        .start()
        .await
        .unwrap();
    identity(&authenticator(&mock), alice(&mock)).await;
    let auth = authenticator(&mock);
    let code = alice(&mock);

    let limited = refused(&auth, code.clone()).await;

    assert!(limited.is(FeishuCode::RateLimited), "{limited:?}");
    assert_eq!(limited.status(), 429);
    assert_upstream(&limited, 99_991_400);
    assert!(limited.is_code_unused());
    assert_eq!(calls(&mock, TOKEN), 2);

    for _ in 0..20 {
        let paused = refused(&auth, alice(&mock)).await;
        assert!(
            paused.is(SilentLoginCode::UpstreamRateLimited),
            "our own backoff, not the platform asked again: {paused:?}"
        );
        assert!(paused.is_code_unused());
    }
    assert_eq!(calls(&mock, TOKEN), 2, "no token call while paused");
    assert_eq!(calls(&mock, EXCHANGE), 1);

    tokio::time::sleep(silent_login::FETCH_FAILURE_BACKOFF + Duration::from_millis(100)).await;
    assert_eq!(identity(&auth, code).await.user_id, "alice");
    assert_eq!(calls(&mock, TOKEN), 3);
}

// ----- injected faults -----

struct Faulted {
    error: LoginError,
    elapsed: Duration,
    token_calls: u64,
    exchange_calls: u64,
    user_info_calls: u64,
}

/// One login with `fault` injected `times` on `endpoint` (the token cached first unless the
/// fault is on the token endpoint), with a short configured timeout.
async fn login_under(endpoint: Endpoint, fault: Fault, times: u32) -> Faulted {
    let mock = start_mock().await;
    let auth = Authenticator::new(feishu(&mock).http_config(short_timeout(TIMEOUT)));
    if endpoint != TOKEN {
        identity(&auth, alice(&mock)).await;
    }
    mock.reset();
    mock.inject_fault(endpoint, fault.clone(), times);
    let limit = TIMEOUT * 3 * TOKEN_ATTEMPTS as u32 + Duration::from_secs(3);
    let (result, elapsed) = bounded(limit, auth.exchange(alice(&mock))).await;
    let error = match result {
        Ok(user) => panic!("{fault:?} on {endpoint}: expected an error, got {user:?}"),
        Err(error) => error,
    };
    Faulted {
        error,
        elapsed,
        token_calls: calls(&mock, TOKEN),
        exchange_calls: calls(&mock, EXCHANGE),
        user_info_calls: calls(&mock, USER_INFO),
    }
}

/// On the token endpoint: bounded retries, the code never sent, and still usable.
async fn on_token_endpoint(fault: Fault) -> LoginError {
    let outcome = login_under(TOKEN, fault.clone(), TOKEN_ATTEMPTS as u32).await;
    assert_eq!(outcome.token_calls, TOKEN_ATTEMPTS, "{fault:?}");
    assert_eq!(outcome.exchange_calls, 0, "{fault:?}");
    assert!(outcome.error.is_code_unused(), "{fault:?}");
    let budget = TIMEOUT * TOKEN_ATTEMPTS as u32 + Duration::from_millis(400 + 1000);
    assert!(outcome.elapsed < budget, "{fault:?}: {:?}", outcome.elapsed);
    outcome.error
}

/// On the code exchange or on user_info: one call, never retried.
async fn after_the_code_was_sent(endpoint: Endpoint, fault: Fault) -> LoginError {
    let outcome = login_under(endpoint, fault.clone(), 1).await;
    assert_eq!(outcome.token_calls, 0, "{fault:?} on {endpoint}");
    assert_eq!(outcome.exchange_calls, 1, "{fault:?} on {endpoint}");
    let expected_infos = u64::from(endpoint == USER_INFO);
    assert_eq!(
        outcome.user_info_calls, expected_infos,
        "{fault:?} on {endpoint}"
    );
    assert!(!outcome.error.is_code_unused(), "{fault:?} on {endpoint}");
    assert!(
        outcome.elapsed < TIMEOUT + Duration::from_millis(700),
        "{fault:?} on {endpoint}: {:?}",
        outcome.elapsed
    );
    outcome.error
}

async fn on_every_endpoint(fault: Fault) -> Vec<LoginError> {
    vec![
        on_token_endpoint(fault.clone()).await,
        after_the_code_was_sent(EXCHANGE, fault.clone()).await,
        after_the_code_was_sent(USER_INFO, fault).await,
    ]
}

#[tokio::test]
async fn latency_beyond_the_configured_timeout_is_upstream_timeout_on_every_endpoint() {
    for error in on_every_endpoint(Fault::Latency(TIMEOUT * 4)).await {
        assert!(error.is(SilentLoginCode::UpstreamTimeout), "{error:?}");
        assert_eq!(error.status(), 504);
    }
}

#[tokio::test]
async fn http_503_is_upstream_http_error_on_every_endpoint() {
    for error in on_every_endpoint(Fault::HttpStatus(503)).await {
        assert!(error.is(SilentLoginCode::UpstreamHttpError), "{error:?}");
        assert!(error.detail().unwrap().en().contains("503"), "{error:?}");
    }
}

#[tokio::test]
async fn garbled_json_is_upstream_garbled_on_every_endpoint() {
    for error in on_every_endpoint(Fault::GarbledJson).await {
        assert!(error.is(SilentLoginCode::UpstreamGarbled), "{error:?}");
    }
}

#[tokio::test]
async fn a_connection_reset_is_upstream_unreachable_on_every_endpoint() {
    for error in on_every_endpoint(Fault::ConnectionReset).await {
        assert!(error.is(SilentLoginCode::UpstreamUnreachable), "{error:?}");
    }
}

#[tokio::test]
async fn a_retryable_platform_code_on_the_token_endpoint_is_kept_and_remembered() {
    // 10012: Feishu's "get app access token fail", retryable in the catalog.
    let error = on_token_endpoint(Fault::ErrorCode {
        code: 10012,
        message: "get app access token fail".to_owned(),
    })
    .await;
    assert!(error.is(FeishuCode::AppAccessTokenFetchFailed), "{error:?}");
    assert_upstream(&error, 10012);
}

#[tokio::test]
async fn a_token_endpoint_fault_fails_that_login_and_the_same_code_works_after_the_backoff() {
    for fault in [
        Fault::Latency(TIMEOUT * 4),
        Fault::HttpStatus(503),
        Fault::GarbledJson,
        Fault::ConnectionReset,
    ] {
        let mock = start_mock().await;
        let auth = Authenticator::new(feishu(&mock).http_config(short_timeout(TIMEOUT)));
        mock.inject_fault(TOKEN, fault.clone(), 1);

        let code = alice(&mock);

        let (result, _) = bounded(Duration::from_secs(5), auth.exchange(code.clone())).await;
        let error = result.expect_err("no retry inside the login");
        assert!(error.is_code_unused(), "{fault:?}: {error:?}");
        assert_eq!(calls(&mock, TOKEN), 1, "{fault:?}");
        let again = refused(&auth, code.clone()).await;
        assert_eq!(again, error, "{fault:?}: remembered for the backoff");
        assert_eq!(calls(&mock, TOKEN), 1, "{fault:?}: not asked again");

        tokio::time::sleep(silent_login::FETCH_FAILURE_BACKOFF + Duration::from_millis(100)).await;
        assert_eq!(identity(&auth, code).await.user_id, "alice", "{fault:?}");
        assert_eq!(calls(&mock, TOKEN), 2, "{fault:?}");
        assert_eq!(calls(&mock, EXCHANGE), 1, "{fault:?}");
    }
}

#[tokio::test]
async fn a_code_that_never_reached_the_platform_can_be_presented_again() {
    let mock = start_mock().await;
    let auth = Authenticator::new(feishu(&mock).http_config(short_timeout(TIMEOUT)));
    let code = alice(&mock);
    mock.inject_fault(TOKEN, Fault::HttpStatus(503), TOKEN_ATTEMPTS as u32);

    let down = refused(&auth, code.clone()).await;
    assert!(down.is(SilentLoginCode::UpstreamHttpError));
    assert!(down.is_code_unused());
    // The platform is back (after the failure's backoff); the ledger forgot the code.
    tokio::time::sleep(silent_login::FETCH_FAILURE_BACKOFF + Duration::from_millis(100)).await;

    assert_eq!(identity(&auth, code).await.user_id, "alice");
}

#[tokio::test]
async fn a_code_the_platform_saw_is_already_used_afterwards() {
    let mock = start_mock().await;
    let auth = Authenticator::new(feishu(&mock).http_config(short_timeout(TIMEOUT)));
    identity(&auth, alice(&mock)).await;
    let code = alice(&mock);
    // The exchange succeeded (the code is consumed), then user_info failed.
    mock.inject_fault(USER_INFO, Fault::HttpStatus(503), 1);
    let failed = refused(&auth, code.clone()).await;
    assert!(failed.is(SilentLoginCode::UpstreamHttpError));
    let before = mock.stats();

    let again = refused(&auth, code).await;

    assert_eq!(mock.stats(), before);
    assert!(again.is(FeishuCode::AuthCodeInvalid));
    assert_eq!(cause(&again), Some("code_used"));
}
