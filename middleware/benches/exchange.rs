//! Provider-client benchmark against the emulator on loopback:
//! `cargo bench -p silent-login --bench exchange`.
//!
//! Side by side, for DingTalk and Feishu: (a) logins per second through
//! [`Authenticator::exchange`] with a warm token cache, and (b) the same number of raw calls of
//! the platform's exchange endpoint(s) with reqwest and a fixed token — the floor, what the
//! platform round trip itself costs. The ratio (a)/(b) is what to compare between machines; the
//! token-call count shows the cache asking once per token lifetime, not once per login.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use silent_login::{AuthCode, Authenticator, DingTalk, Feishu};
use silent_login_mock::{demo, Endpoint, MintCode, MockPlatform};

/// Logins per sequential run (one at a time: latency).
const SEQUENTIAL: usize = 2_000;
/// Logins per concurrent run.
const CONCURRENT: usize = 10_000;
/// Tasks of a concurrent run.
const TASKS: usize = 64;
/// Codes minted per batch (the emulator scans its code table on every exchange; batches keep
/// that table small so its cost stays out of the numbers).
const BATCH: usize = 1_000;
/// Runs of each measurement; the median is reported.
const ROUNDS: usize = 5;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Platform {
    DingTalk,
    Feishu,
}

impl Platform {
    fn name(self) -> &'static str {
        match self {
            Platform::DingTalk => "dingtalk",
            Platform::Feishu => "feishu",
        }
    }

    fn mint(self, mock: &MockPlatform, i: usize) -> String {
        let user = if i.is_multiple_of(2) {
            demo::ALICE
        } else {
            demo::BOB
        };
        let request = match self {
            Platform::DingTalk => MintCode::dingtalk(user),
            Platform::Feishu => MintCode::feishu(user),
        };
        mock.mint_code(request).unwrap()
    }

    fn token_endpoint(self) -> Endpoint {
        match self {
            Platform::DingTalk => Endpoint::DingTalkGetToken,
            Platform::Feishu => Endpoint::FeishuAppAccessToken,
        }
    }

    fn authenticator(self, mock: &MockPlatform) -> Authenticator {
        match self {
            Platform::DingTalk => Authenticator::new(
                DingTalk::new(demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET)
                    .corp_id(demo::DINGTALK_CORP_ID)
                    .api_base(mock.base_url()),
            ),
            Platform::Feishu => Authenticator::new(
                Feishu::new(demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET).api_base(mock.base_url()),
            ),
        }
    }
}

/// The raw platform calls, with one token fetched up front.
struct Raw {
    platform: Platform,
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Raw {
    async fn new(platform: Platform, mock: &MockPlatform) -> Self {
        let client = reqwest::Client::new();
        let base = mock.base_url();
        let token = match platform {
            Platform::DingTalk => {
                let body: Value = client
                    .get(format!("{base}/gettoken"))
                    .query(&[
                        ("appkey", demo::DINGTALK_APP_KEY),
                        ("appsecret", demo::DINGTALK_APP_SECRET),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                body["access_token"].as_str().unwrap().to_owned()
            }
            Platform::Feishu => {
                let body: Value = client
                    .post(format!("{base}/open-apis/auth/v3/app_access_token/internal"))
                    .json(&json!({ "app_id": demo::FEISHU_APP_ID, "app_secret": demo::FEISHU_APP_SECRET }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                body["app_access_token"].as_str().unwrap().to_owned()
            }
        };
        Self {
            platform,
            client,
            base,
            token,
        }
    }

    /// One login the raw way; returns the user id.
    async fn login(&self, code: &str) -> String {
        match self.platform {
            Platform::DingTalk => {
                let body: Value = self
                    .client
                    .post(format!("{}/topapi/v2/user/getuserinfo", self.base))
                    .query(&[("access_token", self.token.as_str())])
                    .json(&json!({ "code": code }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                body["result"]["userid"].as_str().unwrap().to_owned()
            }
            Platform::Feishu => {
                let body: Value = self
                    .client
                    .post(format!(
                        "{}/open-apis/authen/v1/oidc/access_token",
                        self.base
                    ))
                    .bearer_auth(&self.token)
                    .json(&json!({ "grant_type": "authorization_code", "code": code }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let user_token = body["data"]["access_token"].as_str().unwrap();
                let info: Value = self
                    .client
                    .get(format!("{}/open-apis/authen/v1/user_info", self.base))
                    .bearer_auth(user_token)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                info["data"]["user_id"].as_str().unwrap().to_owned()
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Client {
    Library,
    Raw,
}

/// Runs `total` logins with `tasks` concurrent tasks; returns the time spent exchanging (minting
/// excluded).
async fn run(
    mock: &MockPlatform,
    platform: Platform,
    client: Client,
    auth: &Arc<Authenticator>,
    raw: &Arc<Raw>,
    total: usize,
    tasks: usize,
) -> Duration {
    let mut spent = Duration::ZERO;
    let mut done = 0;
    while done < total {
        let batch = BATCH.min(total - done);
        let codes: Vec<String> = (0..batch).map(|i| platform.mint(mock, done + i)).collect();
        let chunks: Vec<Vec<String>> = codes
            .chunks(batch.div_ceil(tasks))
            .map(<[String]>::to_vec)
            .collect();
        let started = Instant::now();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let (auth, raw) = (auth.clone(), raw.clone());
                tokio::spawn(async move {
                    for code in chunk {
                        match client {
                            Client::Library => {
                                let code = AuthCode::parse(&code).unwrap();
                                auth.exchange(code).await.unwrap();
                            }
                            Client::Raw => {
                                raw.login(&code).await;
                            }
                        }
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
        spent += started.elapsed();
        done += batch;
    }
    spent
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

struct Row {
    platform: &'static str,
    mode: String,
    logins: usize,
    library: f64,
    raw: f64,
    token_calls: u64,
}

async fn measure(platform: Platform) -> Vec<Row> {
    let mock = MockPlatform::builder()
        .demo()
        .token_rate_limit(0)
        .start()
        .await
        .unwrap();
    let auth = Arc::new(platform.authenticator(&mock));
    let raw = Arc::new(Raw::new(platform, &mock).await);
    // Warm both: the library's token cache and both connection pools.
    run(&mock, platform, Client::Library, &auth, &raw, 64, 8).await;
    run(&mock, platform, Client::Raw, &auth, &raw, 64, 8).await;
    let tokens_before = mock.stats().calls(platform.token_endpoint());

    let mut rows = Vec::new();
    for (mode, total, tasks) in [
        ("sequential".to_owned(), SEQUENTIAL, 1),
        (format!("{TASKS} tasks"), CONCURRENT, TASKS),
    ] {
        let (mut library, mut floor) = (Vec::new(), Vec::new());
        let tokens = mock.stats().calls(platform.token_endpoint());
        for _ in 0..ROUNDS {
            let spent = run(&mock, platform, Client::Library, &auth, &raw, total, tasks).await;
            library.push(total as f64 / spent.as_secs_f64());
            let spent = run(&mock, platform, Client::Raw, &auth, &raw, total, tasks).await;
            floor.push(total as f64 / spent.as_secs_f64());
        }
        let token_calls = mock.stats().calls(platform.token_endpoint()) - tokens;
        rows.push(Row {
            platform: platform.name(),
            mode,
            logins: total * ROUNDS,
            library: median(library),
            raw: median(floor),
            token_calls,
        });
    }
    let all_tokens = mock.stats().calls(platform.token_endpoint()) - tokens_before;
    assert_eq!(all_tokens, 0, "a warm cache asks for no token");
    rows
}

/// Token requests for 10,000 logins on a cold cache, the cold fetch included.
async fn token_calls_per_10k(platform: Platform) -> u64 {
    let mock = MockPlatform::builder()
        .demo()
        .token_rate_limit(0)
        .start()
        .await
        .unwrap();
    let auth = Arc::new(platform.authenticator(&mock));
    let raw = Arc::new(Raw::new(platform, &mock).await);
    let before = mock.stats().calls(platform.token_endpoint());
    run(&mock, platform, Client::Library, &auth, &raw, 10_000, TASKS).await;
    mock.stats().calls(platform.token_endpoint()) - before
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too — keep that short.
    let quick = !std::env::args().any(|arg| arg == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    if quick {
        runtime.block_on(async {
            let calls = token_calls_per_10k(Platform::DingTalk).await;
            assert_eq!(calls, 1);
        });
        println!("exchange bench: smoke run ok (use `cargo bench` for numbers)");
        return;
    }
    let (rows, cold) = runtime.block_on(async {
        let mut rows = measure(Platform::DingTalk).await;
        rows.extend(measure(Platform::Feishu).await);
        let cold = [
            ("dingtalk", token_calls_per_10k(Platform::DingTalk).await),
            ("feishu", token_calls_per_10k(Platform::Feishu).await),
        ];
        (rows, cold)
    });

    println!();
    println!(
        "{:<9} {:<11} {:>7} {:>12} {:>12} {:>7} {:>12} {:>12}",
        "platform", "mode", "logins", "library/s", "raw/s", "ratio", "overhead µs", "token calls"
    );
    for row in &rows {
        let overhead = (1.0 / row.library - 1.0 / row.raw) * 1e6;
        println!(
            "{:<9} {:<11} {:>7} {:>12.0} {:>12.0} {:>7.2} {:>12.1} {:>12}",
            row.platform,
            row.mode,
            row.logins,
            row.library,
            row.raw,
            row.library / row.raw,
            overhead,
            row.token_calls
        );
    }
    println!();
    for (platform, calls) in cold {
        println!("{platform}: {calls} token request(s) for 10,000 logins from a cold cache");
    }
    println!(
        "\nratio = library logins/s ÷ raw round trips/s (median of {ROUNDS} runs); total {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
