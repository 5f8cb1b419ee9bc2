#![allow(clippy::unwrap_used, clippy::expect_used)]
//! What the layer costs, measured side by side in one run on loopback.
//!
//! 1. Throughput of an authenticated `GET /api/me` (bearer token) behind the layer vs the same
//!    handler on bare axum, with `CLIENTS` concurrent keep-alive clients doing `REQUESTS` each,
//!    in alternating rounds A/B/A/B so drift and noise hit both sides alike.
//! 2. The latency a login adds beyond the platform's own time: the median login through the
//!    layer (app token warm, so one `getuserinfo` upstream) vs the median of a raw `getuserinfo`
//!    call to the emulator, interleaved one for one.
//!
//! `cargo bench -p silent-login --bench layer` (environment: `BENCH_CLIENTS`, `BENCH_REQUESTS`,
//! `BENCH_ROUNDS`, `BENCH_LOGINS` override the defaults).

use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use silent_login::{DingTalk, Identity, KeyRing, Session, SessionKey, SilentLoginLayer};
use silent_login_mock::{demo, MintCode, MockPlatform};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The one handler both servers run.
async fn me(user: Option<Identity>) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |user| user.user_id.clone())
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// `clients` keep-alive clients, `requests` sequential calls each; answers requests per second.
async fn round(url: &str, token: &str, clients: usize, requests: usize, expect: &str) -> f64 {
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let url = url.to_owned();
            let token = token.to_owned();
            let expect = expect.to_owned();
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .unwrap();
                for _ in 0..requests {
                    let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
                    assert_eq!(response.status(), 200);
                    assert_eq!(response.text().await.unwrap(), expect);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    (clients * requests) as f64 / started.elapsed().as_secs_f64()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    }
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let index = ((values.len() as f64 - 1.0) * p).round() as usize;
    values[index]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let clients = env_or("BENCH_CLIENTS", 16);
    let requests = env_or("BENCH_REQUESTS", 5000);
    let rounds = env_or("BENCH_ROUNDS", 5);
    let logins = env_or("BENCH_LOGINS", 300);
    let total = Instant::now();

    let mock = MockPlatform::builder()
        .demo()
        .token_rate_limit(0)
        .start()
        .await
        .unwrap();
    let provider = DingTalk::new(demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET)
        .corp_id(demo::DINGTALK_CORP_ID)
        .api_base(mock.base_url());
    let layered = serve(
        Router::new()
            .route("/api/me", get(me))
            .layer(SilentLoginLayer::new(provider).secure_cookie(false)),
    )
    .await;
    let bare = serve(Router::new().route("/api/me", get(me))).await;
    let client = reqwest::Client::new();

    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    let login: serde_json::Value = client
        .post(format!("{layered}/api/login"))
        .json(&serde_json::json!({ "tmp_auth_code": code }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();

    // 1. Throughput, alternating A (layer) and B (bare), after one short warm-up of each.
    println!("throughput: {clients} clients x {requests} requests, {rounds} rounds per side");
    let layered_url = format!("{layered}/api/me");
    let bare_url = format!("{bare}/api/me");
    round(&layered_url, &token, clients, requests / 5, demo::ALICE).await;
    round(&bare_url, &token, clients, requests / 5, "anonymous").await;
    let (mut with_layer, mut without) = (Vec::new(), Vec::new());
    for index in 0..rounds {
        let a = round(&layered_url, &token, clients, requests, demo::ALICE).await;
        let b = round(&bare_url, &token, clients, requests, "anonymous").await;
        println!(
            "  round {index}: layer {a:>9.0} req/s   bare {b:>9.0} req/s   ratio {:.3}",
            a / b
        );
        with_layer.push(a);
        without.push(b);
    }
    let ratios: Vec<f64> = with_layer
        .iter()
        .zip(&without)
        .map(|(a, b)| a / b)
        .collect();
    let (a, b) = (median(&mut with_layer), median(&mut without));
    let mut ratios = ratios;
    println!(
        "  median: layer {a:.0} req/s, bare {b:.0} req/s, ratio {:.3} (median of per-round ratios {:.3})",
        a / b,
        median(&mut ratios)
    );

    // 2. Login latency: the layer's login vs the raw upstream call it makes, interleaved.
    let access: serde_json::Value = client
        .get(format!(
            "{}/gettoken?appkey={}&appsecret={}",
            mock.base_url(),
            demo::DINGTALK_APP_KEY,
            demo::DINGTALK_APP_SECRET
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access_token = access["access_token"].as_str().unwrap().to_owned();
    let userinfo = format!(
        "{}/topapi/v2/user/getuserinfo?access_token={access_token}",
        mock.base_url()
    );
    let (mut through_layer, mut upstream, mut hop) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..logins {
        let started = Instant::now();
        let response = client.get(&bare_url).send().await.unwrap();
        response.bytes().await.unwrap();
        hop.push(ms(started.elapsed()));

        let code = mock.mint_code(MintCode::dingtalk(demo::BOB)).unwrap();
        let started = Instant::now();
        let response = client
            .post(&userinfo)
            .json(&serde_json::json!({ "code": code }))
            .send()
            .await
            .unwrap();
        let answer: serde_json::Value = response.json().await.unwrap();
        upstream.push(ms(started.elapsed()));
        assert_eq!(answer["errcode"], 0, "{answer}");

        let code = mock.mint_code(MintCode::dingtalk(demo::BOB)).unwrap();
        let started = Instant::now();
        let response = client
            .post(format!("{layered}/api/login"))
            .json(&serde_json::json!({ "tmp_auth_code": code }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap();
        through_layer.push(ms(started.elapsed()));
    }
    let (login_p50, upstream_p50) = (median(&mut through_layer), median(&mut upstream));
    println!("login latency over {logins} logins (app token warm):");
    println!(
        "  through the layer: p50 {login_p50:.3} ms, p90 {:.3} ms",
        percentile(&mut through_layer, 0.9)
    );
    println!(
        "  raw getuserinfo:   p50 {upstream_p50:.3} ms, p90 {:.3} ms",
        percentile(&mut upstream, 0.9)
    );
    let hop_p50 = median(&mut hop);
    println!("  bare GET round trip (the extra client->server hop): p50 {hop_p50:.3} ms");
    println!(
        "  added by the layer: {:.3} ms (login - getuserinfo), {:.3} ms without the hop",
        login_p50 - upstream_p50,
        login_p50 - upstream_p50 - hop_p50
    );
    // 3. Where the per-request cost goes: opening one session token, alone on one thread.
    let ring = KeyRing::new(SessionKey::generate());
    const AUDIENCE: &str = "dingtalk:bench";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let sealed = ring.seal(
        &Session {
            id: "0123456789abcdef0123456789abcdef".into(),
            identity: serde_json::from_value(serde_json::json!({
                "provider": "dingtalk", "user_id": "alice", "union_id": "u-alice",
                "name": "张爱丽 Alice", "tenant": demo::DINGTALK_CORP_ID,
            }))
            .unwrap(),
            issued_at_ms: now,
            expires_at_ms: now + 3_600_000,
        },
        AUDIENCE,
    );
    let unseals = 100_000;
    let started = Instant::now();
    for _ in 0..unseals {
        std::hint::black_box(
            ring.unseal(std::hint::black_box(&sealed), AUDIENCE, now)
                .unwrap(),
        );
    }
    let per_unseal = started.elapsed().as_secs_f64() * 1e6 / f64::from(unseals);
    println!(
        "per-request cost: KeyRing::unseal {per_unseal:.2} us; layer - bare per request {:.2} us (wall, {clients} clients on all cores)",
        1e6 / a - 1e6 / b
    );
    println!("total {:.1} s", total.elapsed().as_secs_f64());
}
