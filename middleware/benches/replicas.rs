//! Many replicas (issue 6), measured side by side in one run:
//! - token requests per 10,000 logins spread over two replicas sharing one Redis;
//! - throughput of an authenticated request with the Redis store vs the memory store.
//!
//! `cargo bench -p silent-login --features redis --bench replicas` (needs `redis-server`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::{routing::get, Router};
use silent_login::store::RedisStore;
use silent_login::{DingTalk, Identity, KeyRing, MemoryStore, SessionKey, SilentLoginLayer, Store};
use silent_login_mock::{demo, Endpoint, MintCode, MockPlatform};

const LOGINS: usize = 10_000;
const CONCURRENCY: usize = 32;
const REQUESTS_PER_ROUND: usize = 4_000;
const ROUNDS: usize = 3;

struct Redis(Child);

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_redis() -> (Redis, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server (apt-get install -y redis-server)");
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(20));
    }
    (Redis(child), format!("redis://127.0.0.1:{port}/"))
}

async fn me(user: Identity) -> String {
    user.user_id.clone()
}

async fn serve(mock: &MockPlatform, store: Arc<dyn Store>, keys: KeyRing) -> String {
    let provider = DingTalk::new(demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET)
        .corp_id(demo::DINGTALK_CORP_ID)
        .api_base(mock.base_url());
    let layer = SilentLoginLayer::new(provider)
        .store(store)
        .session_keys(keys)
        .secure_cookie(false);
    let app = Router::new().route("/api/me", get(me)).layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn redis_store(url: &str) -> Arc<dyn Store> {
    let store = RedisStore::connect(url).await.unwrap();
    while !store.is_live() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Arc::new(store)
}

async fn login(client: &reqwest::Client, base: &str, code: String) -> String {
    let response = client
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({ "tmp_auth_code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// Requests per second of `GET /api/me` with `CONCURRENCY` keep-alive clients.
async fn throughput(client: &reqwest::Client, base: &str, token: &str) -> f64 {
    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (client, url, token) = (client.clone(), format!("{base}/api/me"), token.to_owned());
            tokio::spawn(async move {
                for _ in 0..REQUESTS_PER_ROUND / CONCURRENCY {
                    let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
                    assert_eq!(response.status(), 200);
                    response.bytes().await.unwrap();
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    REQUESTS_PER_ROUND as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let (_redis, url) = start_redis();
    let mock = MockPlatform::builder()
        .demo()
        .token_rate_limit(0)
        .start()
        .await
        .unwrap();
    let keys = KeyRing::new(SessionKey::generate());
    let client = reqwest::Client::new();

    // Token requests per 10,000 logins over two replicas.
    let a = serve(&mock, redis_store(&url).await, keys.clone()).await;
    let b = serve(&mock, redis_store(&url).await, keys.clone()).await;
    let codes: Vec<String> = (0..LOGINS)
        .map(|_| mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap())
        .collect();
    let started = Instant::now();
    let chunks: Vec<Vec<String>> = codes
        .chunks(LOGINS / CONCURRENCY + 1)
        .map(<[String]>::to_vec)
        .collect();
    let tasks: Vec<_> = chunks
        .into_iter()
        .enumerate()
        .map(|(worker, chunk)| {
            let (client, a, b) = (client.clone(), a.clone(), b.clone());
            tokio::spawn(async move {
                for (i, code) in chunk.into_iter().enumerate() {
                    let base = if (worker + i) % 2 == 0 { &a } else { &b };
                    login(&client, base, code).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let login_seconds = started.elapsed().as_secs_f64();
    let token_requests = mock.stats().calls(Endpoint::DingTalkGetToken);
    println!("logins over two replicas      {LOGINS} in {login_seconds:.1} s");
    println!("token requests                {token_requests} (per {LOGINS} logins)");

    // Authenticated request throughput: Redis store vs memory store, alternating rounds.
    let with_redis = serve(&mock, redis_store(&url).await, keys.clone()).await;
    let with_memory = serve(&mock, Arc::new(MemoryStore::new()), keys.clone()).await;
    let redis_token = login(
        &client,
        &with_redis,
        mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap(),
    )
    .await;
    let memory_token = login(
        &client,
        &with_memory,
        mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap(),
    )
    .await;
    throughput(&client, &with_memory, &memory_token).await; // warm-up
    let (mut redis_total, mut memory_total) = (0.0, 0.0);
    for _ in 0..ROUNDS {
        memory_total += throughput(&client, &with_memory, &memory_token).await;
        redis_total += throughput(&client, &with_redis, &redis_token).await;
    }
    let (redis_rps, memory_rps) = (redis_total / ROUNDS as f64, memory_total / ROUNDS as f64);
    println!("GET /api/me, memory store     {memory_rps:.0} req/s");
    println!("GET /api/me, Redis store      {redis_rps:.0} req/s");
    println!(
        "ratio Redis / memory          {:.3}",
        redis_rps / memory_rps
    );
}
