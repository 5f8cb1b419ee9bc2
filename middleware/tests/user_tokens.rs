//! The user's own token across replicas: two servers with the layer keeping user tokens, one
//! real `redis-server`, the Feishu emulator's v2 OAuth endpoint — which records every refresh
//! token presented twice as a violation.
#![cfg(all(feature = "redis", feature = "axum"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/redis_server.rs"]
mod redis_server;
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::{routing::get, Router};
use redis_server::RedisServer;
use serde_json::Value;
use silent_login::provider::USER_TOKEN_REFUSED;
use silent_login::store::{RedisStore, Store as _};
use silent_login::{Feishu, FeishuOAuth, KeyRing, SessionKey, SilentLoginLayer, UserAccessToken};
use silent_login_mock::{demo, Endpoint, MintCode, MockPlatform};

/// `GET /api/profile`: Feishu's `user_info` with the session's user token, handed back once
/// when Feishu refuses it — what an app's handler does.
async fn profile(
    State(base): State<String>,
    token: UserAccessToken,
) -> (axum::http::StatusCode, String) {
    let call = |token: String| {
        let url = format!("{base}/open-apis/authen/v1/user_info");
        async move {
            let body: Value = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body
        }
    };
    let mut body = call(token.expose().to_owned()).await;
    if USER_TOKEN_REFUSED.contains(&body["code"].as_i64().unwrap_or(0)) {
        match token.renew().await {
            Ok(fresh) => body = call(fresh.expose().to_owned()).await,
            Err(error) => {
                return (
                    error.status(),
                    serde_json::to_string(&error.body(silent_login::Lang::En, "-")).unwrap(),
                );
            }
        }
    }
    (axum::http::StatusCode::OK, body.to_string())
}

async fn replica(
    mock: &MockPlatform,
    redis: &RedisServer,
    ring: KeyRing,
    oauth: FeishuOAuth,
) -> String {
    let store = RedisStore::builder(redis.url())
        .prefix("u:")
        .connect()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !store.is_live() {
        assert!(Instant::now() < deadline, "the store never became live");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let feishu = Feishu::new(demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET)
        .api_base(mock.base_url())
        .oauth(oauth);
    let layer = SilentLoginLayer::new(feishu)
        .store(Arc::new(store))
        .session_keys(ring)
        .secure_cookie(false)
        .keep_user_tokens();
    let app = Router::new()
        .route("/api/profile", get(profile))
        .with_state(mock.base_url())
        .layer(layer);
    support::serve(app).await
}

struct Setup {
    _redis: RedisServer,
    mock: MockPlatform,
    replicas: [String; 2],
    client: reqwest::Client,
}

async fn setup(oauth: FeishuOAuth) -> Setup {
    let redis = RedisServer::start().await;
    let mock = MockPlatform::builder().demo().start().await.unwrap();
    let ring = KeyRing::new(SessionKey::generate());
    let a = replica(&mock, &redis, ring.clone(), oauth).await;
    let b = replica(&mock, &redis, ring, oauth).await;
    Setup {
        _redis: redis,
        mock,
        replicas: [a, b],
        client: support::client(),
    }
}

impl Setup {
    /// Alice logs in on replica A with a `tt.requestAccess` code that asked for `scopes`.
    async fn login(&self, scopes: &[&str]) -> String {
        let request = MintCode::feishu_access(
            demo::ALICE,
            scopes
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<String>>(),
        );
        let code = self.mock.mint_code(request).unwrap();
        let response = support::login(&self.client, &self.replicas[0], &code).await;
        assert_eq!(response.status(), 200);
        let mut body: Value = response.json().await.unwrap();
        // The session token is sealed (random base64 that may spell `eyJ` by chance): the rest
        // of the answer must not carry the platform's JWT-like user token.
        let session = body
            .as_object_mut()
            .and_then(|answer| answer.remove("token"))
            .and_then(|token| token.as_str().map(str::to_owned))
            .unwrap();
        assert!(
            body.get("access_token").is_none() && !body.to_string().contains("eyJ"),
            "the user token never reaches the browser: {body}"
        );
        session
    }

    /// `requests` concurrent profile requests, alternating between the replicas.
    async fn profiles(&self, session: &str, requests: usize) -> Vec<(u16, Value)> {
        let mut running = tokio::task::JoinSet::new();
        for i in 0..requests {
            let url = format!("{}/api/profile", self.replicas[i % 2]);
            let (client, session) = (self.client.clone(), session.to_owned());
            running.spawn(async move {
                let response = client.get(url).bearer_auth(session).send().await.unwrap();
                let status = response.status().as_u16();
                (
                    status,
                    serde_json::from_str(&response.text().await.unwrap()).unwrap(),
                )
            });
        }
        let mut answers = Vec::new();
        while let Some(answer) = running.join_next().await {
            answers.push(answer.unwrap());
        }
        answers
    }

    fn refreshes(&self) -> u64 {
        self.mock.refresh_count(demo::FEISHU_APP_ID)
    }

    fn assert_no_refresh_token_presented_twice(&self) {
        assert!(
            self.mock.violations().is_empty(),
            "{:?}",
            self.mock.violations()
        );
    }
}

fn assert_all_alice(answers: &[(u16, Value)]) {
    for (status, body) in answers {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(body["code"], 0, "{body}");
        assert_eq!(body["data"]["user_id"], "alice", "{body}");
    }
}

#[tokio::test]
async fn tokens_the_platform_expired_early_are_refreshed_once_across_two_replicas() {
    for oauth in [FeishuOAuth::V2, FeishuOAuth::V1] {
        let setup = setup(oauth).await;
        let session = setup.login(&["offline_access"]).await;
        assert_all_alice(&setup.profiles(&session, 4).await);
        assert_eq!(
            setup.refreshes(),
            0,
            "{oauth:?}: a good token is not refreshed"
        );
        // Feishu refuses every user token although its expires_in said two hours.
        assert!(setup.mock.expire_feishu_user_tokens() >= 1);
        assert_all_alice(&setup.profiles(&session, 24).await);
        assert_eq!(
            setup.refreshes(),
            1,
            "{oauth:?}: exactly one refresh for the expiry"
        );
        setup.assert_no_refresh_token_presented_twice();
    }
}

#[tokio::test]
async fn a_token_inside_its_margin_is_refreshed_once_across_two_replicas() {
    let setup = setup(FeishuOAuth::V2).await;
    // Alice's token lives 30 s: inside the 60 s margin from the start.
    setup
        .mock
        .set_feishu_user_token_lifetime(Some(Duration::from_secs(30)));
    let session = setup.login(&["offline_access"]).await;
    setup.mock.set_feishu_user_token_lifetime(None);
    assert_all_alice(&setup.profiles(&session, 24).await);
    assert_eq!(setup.refreshes(), 1);
    assert_eq!(
        setup.mock.stats().calls(Endpoint::FeishuUserInfo) as usize,
        24 + 1,
        "one user_info per request, plus the login's"
    );
    setup.assert_no_refresh_token_presented_twice();
}

#[tokio::test]
async fn an_expired_refresh_token_ends_in_a_401_with_its_code_on_both_replicas() {
    let setup = setup(FeishuOAuth::V2).await;
    let session = setup.login(&["offline_access"]).await;
    // Eight days later by Feishu's clock: the 7-day refresh token has expired there too.
    setup.mock.advance_clock(Duration::from_secs(8 * 24 * 3600));
    for (status, body) in setup.profiles(&session, 6).await {
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["errcode"], 20037, "{body}");
    }
    assert_eq!(
        setup.refreshes(),
        1,
        "the refused refresh token is not presented again"
    );
    setup.assert_no_refresh_token_presented_twice();
}

#[tokio::test]
async fn a_refresh_the_app_may_not_make_is_answered_with_its_code_and_not_retried() {
    let setup = setup(FeishuOAuth::V2).await;
    let session = setup.login(&["offline_access"]).await;
    // The app loses the refresh switch (安全设置): the platform refuses refreshes with 20074.
    setup.mock.set_offline_access(demo::FEISHU_APP_ID, false);
    setup.mock.expire_feishu_user_tokens();
    let expected =
        silent_login::LoginError::new(silent_login::catalog::FeishuCode::RefreshNotAllowed);
    for (status, body) in setup.profiles(&session, 6).await {
        assert_eq!(body["errcode"], 20074, "{body}");
        assert_eq!(status, expected.status().as_u16(), "{body}");
    }
    assert_eq!(
        setup.refreshes(),
        1,
        "the refused refresh token is not presented again"
    );
    setup.assert_no_refresh_token_presented_twice();
}

#[tokio::test]
async fn without_offline_access_the_token_works_until_the_platform_refuses_it_then_a_401_says_why()
{
    let setup = setup(FeishuOAuth::V2).await;
    // The page asked for identity only: no refresh token.
    let session = setup.login(&[]).await;
    assert_all_alice(&setup.profiles(&session, 2).await);
    setup.mock.expire_feishu_user_tokens();
    for (status, body) in setup.profiles(&session, 2).await {
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["errcode"], 700602, "{body}");
        assert_eq!(body["cause_id"], "no_refresh_token", "{body}");
    }
    assert_eq!(setup.refreshes(), 0);
}

#[tokio::test]
async fn a_handler_asking_for_the_token_of_a_layer_that_keeps_none_gets_a_loud_500() {
    let mock = MockPlatform::builder().demo().start().await.unwrap();
    let feishu =
        Feishu::new(demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET).api_base(mock.base_url());
    let app = Router::new()
        .route("/api/profile", get(profile))
        .with_state(mock.base_url())
        .layer(SilentLoginLayer::new(feishu).secure_cookie(false));
    let base = support::serve(app).await;
    let client = support::client();
    let code = mock.mint_code(MintCode::feishu(demo::ALICE)).unwrap();
    let login: Value = support::login(&client, &base, &code)
        .await
        .json()
        .await
        .unwrap();
    let response = client
        .get(format!("{base}/api/profile"))
        .bearer_auth(login["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errcode"], 700501, "{body}");
    // Without a session: the layer's own 401 first.
    let anonymous = client
        .get(format!("{base}/api/profile"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}
