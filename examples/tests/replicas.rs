//! `REDIS_URL` wired through (feature `redis`): two axum demos sharing a session key and one
//! real `redis-server` act as one service — a logout on one replica ends the session on both.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use silent_login_examples::axum_demo::{self, DemoServer};
use silent_login_examples::config::Config;
use silent_login_mock::{demo, MintCode};

const KEY: &str = "q8R7cLxkP0yfQ2l0bZ0mA1s9u7Xo2V3dW4eT6hYg5jE=";

/// A `redis-server` on a free loopback port, stopped on drop.
struct RedisServer(Child, u16);

impl RedisServer {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("redis-server is required ({error}): apt-get install -y redis-server")
            });
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self(child, port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn replica(redis_url: &str) -> DemoServer {
    replica_with(redis_url, &[]).await
}

/// A replica with `more` variables on top of the session key, Redis and a free port.
async fn replica_with(redis_url: &str, more: &[(&str, &str)]) -> DemoServer {
    let mut vars = vec![
        ("SILENT_LOGIN_SESSION_KEY", KEY),
        ("REDIS_URL", redis_url),
        ("LISTEN", "127.0.0.1:0"),
    ];
    vars.extend_from_slice(more);
    let config = Config::from_vars(vars.iter().cloned()).unwrap();
    let server = axum_demo::serve(config).await.unwrap();
    // Ready once its revocation feed is live; no request is sent before.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ready = reqwest::get(format!("{}readyz", server.url()))
            .await
            .unwrap()
            .status();
        if ready == 200 {
            break;
        }
        assert_eq!(ready, 503, "not ready is 503");
        assert!(Instant::now() < deadline, "the replica never became ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        server
            .backend()
            .notes()
            .iter()
            .any(|note| note.contains("Redis")),
        "{:?}",
        server.backend().notes()
    );
    server
}

/// The status of `GET /api/me` with `token`, and the catalog code when it was refused.
async fn me(server: &DemoServer, token: &str) -> (u16, Option<i64>) {
    let response = reqwest::Client::new()
        .get(format!("{}api/me", server.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (status, body["errcode"].as_i64())
}

#[tokio::test]
async fn a_logout_on_one_replica_ends_the_session_on_the_other() {
    let redis = RedisServer::start();
    let url = format!("redis://127.0.0.1:{}/", redis.1);
    let (a, b) = (replica(&url).await, replica(&url).await);
    let code = a
        .backend()
        .emulator()
        .unwrap()
        .mint_code(MintCode::dingtalk(demo::ALICE))
        .unwrap();
    let login: serde_json::Value = reqwest::Client::new()
        .post(format!("{}api/login", a.url()))
        .json(&serde_json::json!({ "tmp_auth_code": code }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    assert_eq!(me(&a, &token).await.0, 200);
    assert_eq!(
        me(&b, &token).await.0,
        200,
        "the replicas share the session key"
    );

    let logout = reqwest::Client::new()
        .post(format!("{}api/logout", b.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    // Refused as revoked (not merely refused) within the revocation bound.
    while me(&a, &token).await != (401, Some(700204)) {
        assert!(
            Instant::now() < deadline,
            "replica A still accepts the logged-out session"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Two Feishu demo replicas sharing Redis and one Feishu (the emulator as the real API, as two
/// replicas of a real deployment share open.feishu.cn): `GET /api/me/profile` answers Feishu's
/// `user_info` for alice on both, and when Feishu expires her token early, concurrent requests on
/// both refresh it exactly once — no refresh token is ever presented twice.
#[tokio::test]
async fn the_profile_route_refreshes_the_user_token_once_across_replicas() {
    let redis = RedisServer::start();
    let url = format!("redis://127.0.0.1:{}/", redis.1);
    let feishu = silent_login_mock::MockPlatform::start_demo().await.unwrap();
    let api = feishu.base_url();
    let more = [
        ("SILENT_LOGIN_PROVIDER", "feishu"),
        ("FEISHU_APP_ID", demo::FEISHU_APP_ID),
        ("FEISHU_APP_SECRET", demo::FEISHU_APP_SECRET),
        ("FEISHU_API_BASE", api.as_str()),
        ("FEISHU_SCOPES", "offline_access"),
    ];
    let (a, b) = (
        replica_with(&url, &more).await,
        replica_with(&url, &more).await,
    );
    let code = feishu
        .mint_code(MintCode::feishu_access(demo::ALICE, ["offline_access"]))
        .unwrap();
    let login: serde_json::Value = reqwest::Client::new()
        .post(format!("{}api/login", a.url()))
        .json(&serde_json::json!({ "code": code }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let profiles = |count: usize| {
        let servers = [a.url(), b.url()];
        let token = token.clone();
        async move {
            let mut running = tokio::task::JoinSet::new();
            for i in 0..count {
                let url = format!("{}api/me/profile", servers[i % 2]);
                let token = token.clone();
                running.spawn(async move {
                    let response = reqwest::Client::new()
                        .get(url)
                        .bearer_auth(token)
                        .send()
                        .await
                        .unwrap();
                    let status = response.status().as_u16();
                    (status, response.json::<serde_json::Value>().await.unwrap())
                });
            }
            let mut answers = Vec::new();
            while let Some(answer) = running.join_next().await {
                answers.push(answer.unwrap());
            }
            answers
        }
    };
    for (status, body) in profiles(2).await {
        assert_eq!(
            (status, &body["data"]["user_id"]),
            (200, &serde_json::json!("alice")),
            "{body}"
        );
    }
    assert!(feishu.expire_feishu_user_tokens() >= 1);
    for (status, body) in profiles(16).await {
        assert_eq!(
            (status, &body["data"]["user_id"]),
            (200, &serde_json::json!("alice")),
            "{body}"
        );
    }
    assert_eq!(feishu.refresh_count(demo::FEISHU_APP_ID), 1);
    assert!(feishu.violations().is_empty(), "{:?}", feishu.violations());
}

#[tokio::test]
async fn an_unreachable_redis_stops_the_demo_with_a_message_naming_redis_url() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("redis://:hunter2@{closed}/");
    let vars = [("REDIS_URL", url.as_str()), ("LISTEN", "127.0.0.1:0")];
    let config = Config::from_vars(vars.iter().cloned()).unwrap();
    let error = axum_demo::serve(config).await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("REDIS_URL: cannot use redis://***@"),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
    assert_eq!(error.exit_code(), 1);
}
